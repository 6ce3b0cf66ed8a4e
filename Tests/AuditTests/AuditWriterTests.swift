import Foundation
import PortcullisCrypto
import Synchronization
import Testing

@testable import Audit

@Suite("AuditWriter: durable chained lines, checkpoints, rotation, recovery")
struct AuditWriterTests {
    @Test("every decision becomes one line with the documented fields, chained, and the log verifies with the key")
    func linesAndCheckpoints() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let paths = try Fixtures.writeLog(in: directory.path, count: 25, key: key, checkpointEvery: 10)
        #expect(paths.count == 1)
        let lines = try Fixtures.lines(of: paths[0])
        // 25 decisions + checkpoints after 10, 20 and the final one at close.
        #expect(lines.count == 28)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        #expect(first["v"] as? Int == 1 && first["seq"] as? Int == 1 && first["type"] as? String == "decision")
        #expect(first["prev"] as? String == String(repeating: "0", count: 64))
        #expect(first["decision"] as? String == "denied" && first["uid"] as? String == "uid-0")
        #expect((first["time"] as? String)?.hasSuffix("Z") == true && first["chain"] as? String == "test-pod")
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
        #expect(second["prev"] as? String == SHA256.hex(of: Array((lines[0] + "\n").utf8)))
        let checkpoint = try JSONSerialization.jsonObject(with: Data(lines[10].utf8)) as! [String: Any]
        #expect(checkpoint["type"] as? String == "checkpoint" && checkpoint["treeSize"] as? Int == 10)
        #expect((checkpoint["note"] as? String)?.hasPrefix("portcullis.test/audit\n10\n") == true)

        let report = try Fixtures.verify([directory.path], key: key.publicKey, sealed: true)
        #expect(report.isIntact, "\(report.finding.map(String.init(describing:)) ?? "")")
        #expect(report.lines == 28 && report.checkpoints == 3 && report.treeSize == 25 && report.unsignedTail == 0)
    }

    @Test("a record never carries fields beyond the decision: no object, env, command or annotation values")
    func nothingLeaks() throws {
        let line = String(decoding: Fixtures.record(1).encodedMembers(), as: UTF8.self)
        let keys = try JSONSerialization.jsonObject(with: Data(("{" + line + "}").utf8)) as! [String: Any]
        #expect(
            Set(keys.keys) == [
                "uid", "operation", "kind", "resource", "namespace", "name", "user", "groups", "dataClass",
                "decision", "mode", "rules", "exemptions", "images", "policySHA256", "dryRun", "latencyMicros",
            ])
        // Strings with newlines and quotes stay on one line and decode back unchanged.
        var record = Fixtures.record(2)
        record.rules = [.init(id: "R1", message: "bad \"image\"\nnext\u{1}\\path\tü✓\u{7f}")]
        let encoded = "{" + String(decoding: record.encodedMembers(), as: UTF8.self) + "}"
        #expect(!encoded.contains("\n"))
        #expect(try JSONDecoder().decode(AuditRecord.self, from: Data(encoded.utf8)) == record)
    }

    @Test("appends from 16 threads are all durable with consecutive sequence numbers and a verifying chain")
    func concurrentAppends() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let writer = try AuditWriter(
            configuration: Fixtures.configuration(directory.path),
            signingKey: key, clock: { Date() }, logger: Fixtures.logger)
        let threads = 16
        let perThread = 100
        let seqs = ConcurrentBox<[UInt64]>([])
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread {
                let seq = try! writer.append(Fixtures.record(thread * 1000 + index))
                seqs.mutate { $0.append(seq) }
            }
        }
        writer.close()
        #expect(seqs.value.count == threads * perThread)
        #expect(Set(seqs.value).count == threads * perThread)
        let report = try Fixtures.verify([directory.path], key: key.publicKey, sealed: true)
        #expect(report.isIntact)
        #expect(report.treeSize == UInt64(threads * perThread))
        #expect(throws: AuditError.self) { try writer.append(Fixtures.record()) }
    }

    @Test("every append returns only once a signed checkpoint covers its line: no unsigned tail, ever")
    func checkpointPerBatch() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let writer = try Fixtures.writer(directory.path, key: key, clock: TestClock())
        defer { writer.close() }
        for index in 1...3 {
            let seq = try writer.append(Fixtures.record(index))
            // Read while the writer is still open: what a crash right now would leave.
            let report = try Fixtures.verify([directory.path], key: key.publicKey, sealed: true)
            #expect(report.isIntact && report.unsignedTail == 0, "\(report)")
            #expect(report.lastSeq == seq + 1 && report.checkpoints == index)
        }
    }

    @Test("rotation keeps the chain across gzip segments, and a restart continues it")
    func rotationAndRestart() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let clock = TestClock()
        try Fixtures.writeLog(in: directory.path, count: 60, key: key, rotateBytes: 4096, clock: clock)
        try Fixtures.writeLog(in: directory.path, count: 60, key: key, rotateBytes: 4096, clock: clock)
        let files = try Fixtures.segmentPaths(directory.path)
        #expect(files.count > 3)
        #expect(files.dropLast().allSatisfy { $0.hasSuffix(".jsonl.gz") })
        #expect(files.last!.hasSuffix(".jsonl"))
        let report = try Fixtures.verify([directory.path], key: key.publicKey, sealed: true)
        #expect(report.isIntact, "\(report.finding.map(String.init(describing:)) ?? "")")
        // The Merkle leaves are the 120 decisions plus one segmentRotated control line per rotation.
        #expect(report.treeSize == 120 + UInt64(files.count - 1) && report.firstSeq == 1)
        // Segment names carry their first sequence number.
        for file in files {
            let name = URL(fileURLWithPath: file).lastPathComponent
            let seq = UInt64(name.dropFirst("audit-".count).prefix(20))!
            let reader = try LineReader(path: file, compressed: file.hasSuffix(".gz"))
            var firstSeq: UInt64?
            _ = try reader.forEachLine { line in
                firstSeq = AuditLineFormat.parsePrefix(line)?.seq
                return false
            }
            #expect(firstSeq == seq)
        }
    }

    @Test("rotation by age starts a new segment once the first line is older than rotateAge")
    func rotationByAge() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let clock = TestClock()
        var configuration = Fixtures.configuration(directory.path)
        configuration.rotateAge = 3600
        let writer = try AuditWriter(
            configuration: configuration, signingKey: key, clock: { clock() }, logger: Fixtures.logger)
        _ = try writer.append(Fixtures.record(1))
        clock.advance(by: 3601)
        _ = try writer.append(Fixtures.record(2))
        writer.close()
        #expect(try Fixtures.segmentPaths(directory.path).count == 2)
        #expect(try Fixtures.verify([directory.path], key: key.publicKey).isIntact)
    }

    @Test("retention removes the oldest segments and the rest still verifies from its first checkpoint")
    func retention() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        try Fixtures.writeLog(in: directory.path, count: 200, key: key, rotateBytes: 4096, retain: 3)
        #expect(try Fixtures.segmentPaths(directory.path).count == 3)
        let report = try Fixtures.verify([directory.path], key: key.publicKey, sealed: true)
        #expect(report.isIntact, "\(report.finding.map(String.init(describing:)) ?? "")")
        // The frontier still counts the removed segments' leaves: 200 decisions plus one control line per rotation.
        #expect(report.firstSeq! > 1 && report.treeSize > 200)
    }

    @Test("a torn last line is quarantined on restart, recorded in the log, and the chain continues")
    func tornTailQuarantined() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let paths = try Fixtures.writeLog(in: directory.path, count: 5, key: key)
        let torn = "{\"v\":1,\"seq\":7,\"prev\":\"0123"
        let handle = FileHandle(forWritingAtPath: paths[0])!
        handle.seekToEndOfFile()
        handle.write(Data(torn.utf8))
        handle.closeFile()
        #expect(try Fixtures.verify([directory.path]).finding?.cause == .truncated)

        let writer = try AuditWriter(
            configuration: Fixtures.configuration(directory.path), signingKey: key,
            clock: { Date() }, logger: Fixtures.logger)
        #expect(try writer.append(Fixtures.record(9)) == 9)  // 5 decisions, final checkpoint, event, checkpoint
        writer.close()
        let quarantined = try FileManager.default.contentsOfDirectory(atPath: directory.file("quarantine"))
        #expect(quarantined.count == 1)
        #expect(try String(contentsOfFile: directory.file("quarantine/" + quarantined[0]), encoding: .utf8) == torn)
        let lines = try Fixtures.lines(of: paths[0])
        let event = try JSONSerialization.jsonObject(with: Data(lines[6].utf8)) as! [String: Any]
        #expect(event["event"] as? String == "tornTailQuarantined")
        #expect(
            event["length"] as? Int == torn.utf8.count && event["sha256"] as? String == SHA256.hex(of: Array(torn.utf8))
        )
        #expect(try Fixtures.verify([directory.path], key: key.publicKey, sealed: true).isIntact)
    }

    @Test("the writer refuses to extend a log whose tail was tampered with")
    func refusesTamperedTail() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let paths = try Fixtures.writeLog(in: directory.path, count: 5, key: key)
        var lines = try Fixtures.lines(of: paths[0])
        lines.remove(at: 2)
        try Fixtures.write(lines: lines, to: paths[0])
        let error = #expect(throws: AuditError.self) {
            _ = try AuditWriter(
                configuration: Fixtures.configuration(directory.path), signingKey: key,
                clock: { Date() }, logger: Fixtures.logger)
        }
        #expect(error?.message.contains("does not verify") == true)
    }

    @Test("bad configuration is refused with a message naming the setting")
    func badConfiguration() throws {
        let directory = TemporaryDirectory()
        var configuration = Fixtures.configuration(directory.path)
        configuration.origin = "has space"
        let error = #expect(throws: AuditError.self) {
            _ = try AuditWriter(
                configuration: configuration, signingKey: try Ed25519PrivateKey.generate(),
                clock: { Date() }, logger: Fixtures.logger)
        }
        #expect(error?.message.contains("origin") == true)
    }
}

/// A value shared between test threads.
final class ConcurrentBox<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    init(_ value: Value) { storage = Mutex(value) }

    var value: Value { storage.withLock { $0 } }

    func mutate(_ body: (inout Value) -> Void) { storage.withLock { body(&$0) } }
}
