import Foundation
import PortcullisCrypto
import Testing

@testable import Audit
@testable import AuditReading

/// One line limit for writer and readers: no decision makes a line a reader cannot hold, and a log from a
/// writer before the limit still opens, verifies and is read past.
@Suite("Audit line limit")
struct AuditLineLimitTests {
    /// A denial of a pod with 600 long image references, each named in a rule message: about 5 MB of members.
    static func hugeRecord() -> AuditRecord {
        let images = (0..<600).map { "docker.io/team/" + String(repeating: "a", count: 3900) + "\($0):latest" }
        return Fixtures.record(
            1, decision: .denied,
            rules: images.map { .init(id: "registry-origin", message: "image \"\($0)\" is from registry docker.io") },
            images: images.map { AuditRecord.Image(reference: $0) })
    }

    @Test("an oversized decision keeps verdict, rule IDs and identifiers, and measures what was cut")
    func shortened() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let writer = try Fixtures.writer(directory.path, key: key, clock: TestClock())
        let full = Self.hugeRecord().encodedMembers()
        #expect(full.count > 4_000_000)
        _ = try writer.append(Self.hugeRecord())
        writer.close()

        var entries: [AuditEntry] = []
        try AuditQuery().run(paths: [directory.path]) { entry in
            entries.append(entry)
            return true
        }
        let entry = try #require(entries.first)
        #expect(entry.line.utf8.count < AuditLineFormat.maximumLineBytes)
        #expect(entry.record.decision == .denied)
        #expect(entry.record.uid == "uid-1" && entry.record.name == "pod-1" && entry.record.namespace == "team-a")
        #expect(entry.record.rules.map(\.id) == ["registry-origin"])
        #expect(entry.record.images.isEmpty)
        #expect(entry.record.cut == AuditRecord.Cut(length: full.count, sha256: SHA256.hex(of: full)))
        #expect(try Fixtures.verify([directory.path], key: key.publicKey).isIntact)
    }

    @Test("a log with a 5 MB line from an older writer: the writer reopens it, verify and query read past it")
    func olderOversizedLine() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        var writer = try Fixtures.writer(directory.path, key: key, clock: TestClock())
        _ = try writer.append(Fixtures.record(0))
        let oversizedSeq = try writer.append(PendingLine(type: .decision, members: Self.hugeRecord().encodedMembers()))
        _ = try writer.append(Fixtures.record(2))
        writer.close()

        // Before the limit, this start threw ("a line is longer than 4 MiB") and serve exited: a crash loop.
        writer = try Fixtures.writer(directory.path, key: key, clock: TestClock())
        _ = try writer.append(Fixtures.record(3))
        writer.close()

        let report = try Fixtures.verify([directory.path], key: key.publicKey, sealed: true)
        #expect(report.isIntact, "\(report.finding.map(String.init(describing:)) ?? "")")
        #expect(report.oversizedCount == 1)
        #expect(report.oversizedLines.map(\.seq) == [oversizedSeq])
        #expect(report.oversizedLines.first.map { $0.length > 4_000_000 } == true)

        var uids: [String] = []
        var skipped: [UInt64?] = []
        try AuditQuery().scan(paths: [directory.path], types: [.decision]) { line in
            switch line {
            case .decision(let entry): uids.append(entry.record.uid)
            case .oversized(_, let seq, _): skipped.append(seq)
            case .control: break
            }
            return true
        }
        #expect(uids == ["uid-0", "uid-2", "uid-3"])
        #expect(skipped == [oversizedSeq])
    }

    @Test("an edit inside an oversized line is still found: its streamed hash is what the next prev names")
    func editedOversizedLine() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let writer = try Fixtures.writer(directory.path, key: key, clock: TestClock())
        _ = try writer.append(PendingLine(type: .decision, members: Self.hugeRecord().encodedMembers()))
        _ = try writer.append(Fixtures.record(2))
        writer.close()
        let segment = try #require(try Fixtures.segmentPaths(directory.path).first)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        let at = try #require(bytes.range(of: Data("aaaa10:latest".utf8)))
        bytes[at.lowerBound] = UInt8(ascii: "b")
        try bytes.write(to: URL(fileURLWithPath: segment))

        let report = try Fixtures.verify([directory.path], key: key.publicKey)
        #expect(report.finding?.cause == .edited)
    }
}
