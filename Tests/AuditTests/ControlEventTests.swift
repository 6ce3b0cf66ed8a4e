import Foundation
import PortcullisCrypto
import Testing

@testable import Audit
@testable import AuditReading

@Suite("Control events in the audit chain")
struct ControlEventTests {
    @Test("control lines are chained and covered by signed checkpoints like decisions, and read back by type")
    func chainedAndQueried() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let writer = try AuditWriter(
            configuration: Fixtures.configuration(directory.path), signingKey: key, clock: { Date() },
            logger: Fixtures.logger)
        #expect(try writer.append(.policyLoaded(path: "/etc/p.yaml", sha256: String(repeating: "1", count: 64))) == 1)
        // Each append is its own batch here, so each line is followed by the checkpoint that signs it.
        #expect(try writer.append(Fixtures.record(1)) == 3)
        let authorities = [ControlEvent.Authority(name: "corp", fingerprints: ["ab12"])]
        #expect(try writer.append(.trustMaterial(authorities, changed: true)) == 5)
        writer.close()

        let lines = try Fixtures.lines(of: try Fixtures.segmentPaths(directory.path)[0])
        #expect(
            lines[0].hasPrefix(
                "{\"v\":1,\"seq\":1,\"prev\":\"\(String(repeating: "0", count: 64))\",\"type\":\"control\""))
        let report = try Fixtures.verify([directory.path], key: key.publicKey, sealed: true)
        #expect(report.isIntact && report.treeSize == 3 && report.unsignedTail == 0)

        var controls: [ControlEntry] = []
        var decisions = 0
        var summary = AuditSummary()
        try AuditQuery().scan(paths: [directory.path], types: [.control, .decision]) { line in
            summary.add(line)
            switch line {
            case .control(let entry): controls.append(entry)
            case .decision: decisions += 1
            case .oversized: Issue.record("no line of this log is over the limit")
            }
            return true
        }
        #expect(controls.map(\.event.event) == [.policyLoaded, .trustMaterialChanged])
        #expect(controls[1].event.authorities == authorities)
        #expect(decisions == 1)
        #expect(summary.controlEvents == ["policyLoaded": 1, "trustMaterialChanged": 1])
    }

    @Test("an edited control line is detected by verify like an edited decision")
    func editedControlLineDetected() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let writer = try AuditWriter(
            configuration: Fixtures.configuration(directory.path), signingKey: key, clock: { Date() },
            logger: Fixtures.logger)
        try writer.append(.policyReloaded(path: "p.yaml", previousSHA256: "aa", sha256: "bb"))
        _ = try writer.append(Fixtures.record(1))
        writer.close()
        let path = try Fixtures.segmentPaths(directory.path)[0]
        var lines = try Fixtures.lines(of: path)
        lines[0] = lines[0].replacingOccurrences(of: "\"sha256\":\"bb\"", with: "\"sha256\":\"cc\"")
        try Fixtures.write(lines: lines, to: path)
        let report = try Fixtures.verify([directory.path], key: key.publicKey)
        #expect(report.finding?.cause == .edited)
    }

    @Test("segment rotation is recorded in the new segment, after its opening checkpoint")
    func rotationRecorded() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        try Fixtures.writeLog(in: directory.path, count: 40, key: key, rotateBytes: 4096)
        var rotations: [ControlEntry] = []
        try AuditQuery().scan(paths: [directory.path], types: [.control]) { line in
            if case .control(let entry) = line, entry.event.event == .segmentRotated { rotations.append(entry) }
            return true
        }
        let segments = try AuditSegment.list(directory: directory.path)["audit"] ?? []
        #expect(segments.count >= 2)
        #expect(rotations.count == segments.count - 1)
        // Each rotation line names the segment it lives in and immediately follows that segment's checkpoint.
        for (rotation, segment) in zip(rotations, segments.dropFirst()) {
            #expect(rotation.seq == segment.firstSeq + 1)
            let opened = "/" + AuditSegment.fileName(base: "audit", firstSeq: segment.firstSeq, compressed: false)
            #expect(rotation.event.segment?.hasSuffix(opened) == true, "\(rotation.event)")
        }
        #expect(try Fixtures.verify([directory.path], key: key.publicKey, sealed: true).isIntact)
    }

    @Test("query --type control honours --since and --until")
    func controlTimeWindow() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let clock = TestClock()
        let writer = try Fixtures.writer(directory.path, key: key, clock: clock)
        for index in 0..<5 {
            try writer.append(.serverStopped(reason: "test \(index)"))
            clock.advance(by: 60)
        }
        writer.close()
        var query = AuditQuery()
        query.since = Date(timeIntervalSince1970: 1_800_000_000 + 60)
        query.until = Date(timeIntervalSince1970: 1_800_000_000 + 180)
        var messages: [String] = []
        try query.scan(paths: [directory.path], types: [.control]) { line in
            if case .control(let entry) = line { messages.append(entry.event.message) }
            return true
        }
        #expect(messages == ["portcullis stopped: test 1", "portcullis stopped: test 2"])
    }
}
