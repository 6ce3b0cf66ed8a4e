import Foundation
import PortcullisCrypto
import Testing

@testable import Audit

/// Each kind of tampering, applied to a copy of a genuine log, is found at the right place with the right cause.
@Suite("AuditVerifier: tampering is detected and named")
struct AuditTamperTests {
    /// A genuine single-segment log: 30 decisions, checkpoints every 10 (lines 11, 22, 33 are checkpoints).
    struct Log {
        let directory = TemporaryDirectory()
        let key: Ed25519PrivateKey
        let path: String
        let lines: [String]

        init() throws {
            key = try Ed25519PrivateKey.generate()
            path = try Fixtures.writeLog(in: directory.path, count: 30, key: key, checkpointEvery: 10)[0]
            lines = try Fixtures.lines(of: path)
        }

        func tampered(_ change: (inout [String]) -> Void) throws -> AuditLogReport {
            var copy = lines
            change(&copy)
            try Fixtures.write(lines: copy, to: path)
            return try Fixtures.verify([path], key: key.publicKey)
        }
    }

    @Test("the untouched log verifies")
    func intact() throws {
        let log = try Log()
        #expect(log.lines.count == 33)
        #expect(try Fixtures.verify([log.path], key: log.key.publicKey, sealed: true).isIntact)
    }

    @Test("an edited decision is reported as edited at the line after it")
    func edited() throws {
        let log = try Log()
        let report = try log.tampered { $0[4] = $0[4].replacingOccurrences(of: "\"allowed\"", with: "\"denied\"") }
        #expect(report.finding?.cause == .edited)
        #expect(report.finding?.line == 6)
        #expect(report.finding?.message.contains("seq 5 was changed") == true)
    }

    @Test("a deleted line is reported as deleted, naming the missing sequence numbers")
    func deleted() throws {
        let log = try Log()
        let report = try log.tampered { $0.remove(at: 4) }
        #expect(report.finding?.cause == .deleted)
        #expect(report.finding?.message.contains("lines 5…5 were removed") == true)
    }

    @Test("an inserted copy of a line is reported as inserted")
    func insertedCopy() throws {
        let log = try Log()
        let report = try log.tampered { $0.insert($0[3], at: 6) }
        #expect(report.finding?.cause == .inserted)
    }

    @Test("a forged line that links correctly to its predecessor is reported as inserted")
    func insertedLinked() throws {
        let log = try Log()
        let report = try log.tampered { lines in
            // Forge seq 5 with a correct prev; the genuine seq 5 that follows still links to seq 4.
            var forged = lines[4].replacingOccurrences(of: "uid-4", with: "uid-forged")
            forged = forged.replacingOccurrences(of: "\"allowed\"", with: "\"denied\"")
            lines.insert(forged, at: 4)
        }
        #expect(report.finding?.cause == .inserted)
        #expect(report.finding?.message.contains("two lines claim seq 5") == true)
    }

    @Test("swapped lines are reported as reordered")
    func reordered() throws {
        let log = try Log()
        let report = try log.tampered { $0.swapAt(4, 6) }
        #expect(report.finding?.cause == .reordered)
    }

    @Test("a line cut mid-way is reported as truncated")
    func truncatedMidLine() throws {
        let log = try Log()
        let text = log.lines.map { $0 + "\n" }.joined()
        try String(text.dropLast(40)).write(toFile: log.path, atomically: false, encoding: .utf8)
        #expect(try Fixtures.verify([log.path], key: log.key.publicKey).finding?.cause == .truncated)
    }

    @Test("lines cut after the last checkpoint: truncated for a sealed log or against an external checkpoint")
    func truncatedAfterCheckpoint() throws {
        let log = try Log()
        let finalCheckpoint = log.lines.last!
        // Cut the last 5 decisions and the final checkpoint: the log now ends with unsigned lines…
        let report = try log.tampered { $0.removeLast(6) }
        #expect(report.isIntact && report.unsignedTail == 5)
        #expect(try Fixtures.verify([log.path], key: log.key.publicKey, sealed: true).finding?.cause == .truncated)
        // …and cut at a checkpoint boundary, only a checkpoint kept elsewhere (the stdout mirror) proves it.
        try Fixtures.write(lines: Array(log.lines.prefix(22)), to: log.path)
        #expect(try Fixtures.verify([log.path], key: log.key.publicKey, sealed: true).isIntact)
        let external = try Fixtures.verify([log.path], key: log.key.publicKey, external: finalCheckpoint)
        #expect(external.finding?.cause == .truncated)
        #expect(external.finding?.message.contains("proves 30 lines but the log holds only 20") == true)
    }

    /// The last line has no line after it whose `prev` fixes it, so its checkpoint's note must sign the line's
    /// other members itself (found by the audit-log fuzz target: `time` and `chain` could be changed unnoticed).
    @Test("the final checkpoint line's time, chain, frontier and spelling are signed by its note")
    func finalCheckpointMembers() throws {
        let log = try Log()
        let last = log.lines.count - 1
        let edits: [(String, (String) -> String)] = [
            ("time", { $0.replacingOccurrences(of: #""time":"20"#, with: #""time":"19"#) }),
            ("chain", { $0.replacingOccurrences(of: #""chain":""#, with: #""chain":"x"#) }),
            ("frontier", { $0.replacingOccurrences(of: #""frontier":[""#, with: #""frontier":["0"#) }),
            ("spacing", { $0.replacingOccurrences(of: #","treeSize":"#, with: #", "treeSize":"#) }),
            ("a member added after the note", { String($0.dropLast()) + #","extra":1}"# }),
        ]
        for (name, edit) in edits {
            let edited = edit(log.lines[last])
            #expect(edited != log.lines[last], "\(name): the edit did not apply")
            let report = try log.tampered { $0[last] = edited }
            #expect(!report.isIntact, "\(name): an edited final checkpoint verified as intact")
            #expect(report.finding?.line == last + 1, "\(name): \(report.finding?.message ?? "intact")")
        }
        // Untouched, the same log still verifies sealed.
        try Fixtures.write(lines: log.lines, to: log.path)
        #expect(try Fixtures.verify([log.path], key: log.key.publicKey, sealed: true).isIntact)
    }

    @Test("an edit hidden by recomputing every later prev is caught by the next checkpoint's root")
    func rewrittenChain() throws {
        let log = try Log()
        var lines = log.lines
        lines[4] = lines[4].replacingOccurrences(of: "\"alice\"", with: "\"mallory\"")
        for index in 5..<lines.count {
            let prev = SHA256.hex(of: Array((lines[index - 1] + "\n").utf8))
            let range = lines[index].range(of: "\"prev\":\"")!.upperBound
            lines[index].replaceSubrange(range..<lines[index].index(range, offsetBy: 64), with: prev)
        }
        try Fixtures.write(lines: lines, to: log.path)
        let report = try Fixtures.verify([log.path], key: log.key.publicKey)
        #expect(report.finding?.cause == .edited)
        #expect(report.finding?.line == 11)
        #expect(report.finding?.message.contains("chain recomputed") == true)
    }

    @Test("a log signed by another key is rejected as a forged checkpoint; without a key the chain alone verifies")
    func forgedCheckpoint() throws {
        let log = try Log()
        let other = try Ed25519PrivateKey.generate()
        let report = try Fixtures.verify([log.path], key: other.publicKey)
        #expect(report.finding?.cause == .forgedCheckpoint)
        #expect(report.finding?.line == 11)
        #expect(report.finding?.message.contains("not signed by the given key") == true)
        let unkeyed = try Fixtures.verify([log.path])
        #expect(unkeyed.isIntact && !unkeyed.signaturesChecked)
    }

    @Test("a checkpoint whose note was re-signed by another key is rejected as forged")
    func resignedCheckpoint() throws {
        let log = try Log()
        let other = try Ed25519PrivateKey.generate()
        let report = try log.tampered { lines in
            let line = lines[10]
            let object = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let note = try! CheckpointNote.parse(object["note"] as! String)
            let forged = try! CheckpointNote.signed(
                origin: note.origin, treeSize: note.treeSize, root: note.root, key: other)
            let escaped = { (text: String) in text.replacingOccurrences(of: "\n", with: "\\n") }
            lines[10] = line.replacingOccurrences(of: escaped(note.text), with: escaped(forged.text))
        }
        #expect(report.finding?.cause == .forgedCheckpoint)
        #expect(report.finding?.line == 11)
    }

    @Test("a missing middle segment is reported as a missing segment; gzip segments verify")
    func missingSegment() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let files = try Fixtures.writeLog(in: directory.path, count: 80, key: key, rotateBytes: 4096)
        #expect(files.count >= 4 && files[1].hasSuffix(".gz"))
        #expect(try Fixtures.verify([directory.path], key: key.publicKey, sealed: true).isIntact)
        try FileManager.default.removeItem(atPath: files[1])
        let report = try Fixtures.verify([directory.path], key: key.publicKey)
        #expect(report.finding?.cause == .missingSegment)
        #expect(report.finding?.file == files[2])
    }

    @Test("a cut-off or corrupted gzip segment is reported, and an unreadable path is an error")
    func damagedGzip() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let files = try Fixtures.writeLog(in: directory.path, count: 80, key: key, rotateBytes: 4096)
        let data = try Data(contentsOf: URL(fileURLWithPath: files[0]))
        try data.prefix(data.count - 10).write(to: URL(fileURLWithPath: files[0]))
        #expect(try Fixtures.verify([directory.path], key: key.publicKey).finding?.cause == .truncated)
        #expect(throws: AuditError.self) { try Fixtures.verify([directory.file("nope")]) }
    }

    @Test("garbage that is not an audit log is reported as edited, not a crash")
    func garbage() throws {
        let directory = TemporaryDirectory()
        try "hello\nworld\n".write(toFile: directory.file("x.log"), atomically: false, encoding: .utf8)
        #expect(try Fixtures.verify([directory.file("x.log")]).finding?.cause == .edited)
        try Data(repeating: 0x41, count: 5 << 20).write(to: URL(fileURLWithPath: directory.file("long.log")))
        #expect(throws: AuditError.self) { try Fixtures.verify([directory.file("long.log")]) }
    }
}
