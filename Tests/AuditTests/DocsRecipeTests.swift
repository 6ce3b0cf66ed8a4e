import Foundation
import PortcullisCrypto
import Testing

@testable import Audit

/// The verification recipes in docs/AUDIT.md, run for real: a reviewer without Portcullis gets the same answer.
@Suite("docs/AUDIT.md recipes verify a real log independently")
struct DocsRecipeTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/AUDIT.md").path

    /// The fenced block that follows `<!-- recipe:NAME -->` in the docs.
    static func recipe(_ name: String) throws -> String {
        let text = try String(contentsOfFile: docs, encoding: .utf8)
        let marker = try #require(text.range(of: "<!-- recipe:\(name) -->"))
        let afterFence = try #require(
            text.range(
                of: "\n",
                range: text.range(of: "```", range: marker.upperBound..<text.endIndex)!.upperBound..<text.endIndex))
        let close = try #require(text.range(of: "\n```", range: afterFence.upperBound..<text.endIndex))
        return String(text[afterFence.upperBound..<close.lowerBound]) + "\n"
    }

    static func keyPair(_ directory: TemporaryDirectory) throws -> Ed25519PrivateKey {
        let key = try Ed25519PrivateKey.generate()
        try key.publicKey.pemSPKI().write(toFile: directory.file("pub.pem"), atomically: false, encoding: .utf8)
        return key
    }

    @Test("the Python script accepts a genuine rotated gzip log and rejects tampering and another key")
    func pythonRecipe() throws {
        let directory = TemporaryDirectory()
        try Self.recipe("python").write(toFile: directory.file("verify_audit.py"), atomically: false, encoding: .utf8)
        let key = try Self.keyPair(directory)
        let log = directory.file("log")
        let files = try Fixtures.writeLog(in: log, count: 150, key: key, checkpointEvery: 7, rotateBytes: 8192)
        #expect(files.contains { $0.hasSuffix(".gz") })
        let run = {
            try Fixtures.run(
                "/usr/bin/env", ["python3", directory.file("verify_audit.py"), directory.file("pub.pem"), log])
        }
        let (status, output) = try run()
        #expect(status == 0, "\(output)")
        #expect(output.hasPrefix("OK"))

        // Another reviewer key: every checkpoint is unsigned as far as it can tell.
        try Ed25519PrivateKey.generate().publicKey.pemSPKI().write(
            toFile: directory.file("pub.pem"), atomically: false, encoding: .utf8)
        #expect(try run().0 != 0)
        try key.publicKey.pemSPKI().write(toFile: directory.file("pub.pem"), atomically: false, encoding: .utf8)

        // An edit to a decision in the newest segment holding decisions, the current one or, when rotation left
        // it only its opening checkpoint, the last compressed one (unpacked and packed again with gzip(1)).
        let target = try #require(
            files.last { path in
                let text = try? Fixtures.run("/bin/sh", ["-c", "gzip -dcf '\(path)'"]).1
                return text?.split(separator: "\n").dropLast().contains { $0.contains("\"alice\"") } == true
            })
        func rewrite(_ change: (inout [String]) -> Void) throws {
            let (_, text) = try Fixtures.run("/bin/sh", ["-c", "gzip -dcf '\(target)'"])
            var lines = text.split(separator: "\n").map(String.init)
            change(&lines)
            let plain = directory.file("edited.jsonl")
            try Fixtures.write(lines: lines, to: plain)
            let pack = target.hasSuffix(".gz") ? "gzip -c '\(plain)' > '\(target)'" : "cp '\(plain)' '\(target)'"
            #expect(try Fixtures.run("/bin/sh", ["-c", pack]).0 == 0)
        }
        var decision = 0
        try rewrite { lines in
            decision = lines.firstIndex { $0.contains("\"alice\"") }!
            lines[decision] = lines[decision].replacingOccurrences(of: "\"alice\"", with: "\"mallory\"")
        }
        let (tamperedStatus, tamperedOutput) = try run()
        #expect(tamperedStatus != 0)
        #expect(tamperedOutput.contains("chain broken"))

        // The final checkpoint's time changed: nothing chains it, its note's line-prefix extension does.
        try rewrite { $0[decision] = $0[decision].replacingOccurrences(of: "\"mallory\"", with: "\"alice\"") }
        #expect(try run().0 == 0)
        var last = try Fixtures.lines(of: files.last!)
        last[last.count - 1] = last[last.count - 1].replacingOccurrences(of: #""time":"20"#, with: #""time":"19"#)
        try Fixtures.write(lines: last, to: files.last!)
        let (lastStatus, lastOutput) = try run()
        #expect(lastStatus != 0)
        #expect(lastOutput.contains("changed outside its note"), "\(lastOutput)")
    }

    @Test("the shell recipe checks the chain with sha256sum and the checkpoint with openssl")
    func shellRecipe() throws {
        let directory = TemporaryDirectory()
        try Self.recipe("shell").write(toFile: directory.file("recipe.sh"), atomically: false, encoding: .utf8)
        let key = try Self.keyPair(directory)
        let segment = try Fixtures.writeLog(in: directory.file("log"), count: 12, key: key, checkpointEvery: 5)[0]
        let run = {
            try Fixtures.run("/bin/bash", ["-c", "cd \(directory.path) && seg=\(segment) pub=pub.pem bash recipe.sh"])
        }
        let (status, output) = try run()
        #expect(status == 0, "\(output)")
        #expect(output.contains("Signature Verified Successfully"))

        var lines = try Fixtures.lines(of: segment)
        lines[3] = lines[3].replacingOccurrences(of: "\"CREATE\"", with: "\"DELETE\"")
        try Fixtures.write(lines: lines, to: segment)
        let (tamperedStatus, tamperedOutput) = try run()
        #expect(tamperedStatus == 1)
        #expect(tamperedOutput.contains("chain broken at line 5"))
    }
}
