import Foundation
import PortcullisCrypto
import Testing

@testable import Audit

/// The stdout mirror is a second copy of every durable line; its checkpoints prove a cut-short log.
/// The writer runs in a child process (this test binary, `AuditMirrorChild` only) so its stdout can be captured.
@Suite("AuditWriter stdout mirror")
struct AuditMirrorTests {
    @Test("the mirror repeats every line byte for byte, and its last checkpoint exposes a truncated log")
    func mirror() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        try key.pemPKCS8().write(toFile: directory.file("key.pem"), atomically: false, encoding: .utf8)
        let log = directory.file("log")
        let child = try Fixtures.childRunning(
            suite: "AuditMirrorChild",
            environment: ["AUDIT_MIRROR_CHILD_DIR": log, "AUDIT_MIRROR_CHILD_KEY": directory.file("key.pem")])
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        #expect(child.terminationStatus == 0)

        let mirrored = output.split(separator: "\n").filter { $0.hasPrefix("{\"v\":1,") }.map(String.init)
        let segment = try Fixtures.segmentPaths(log)[0]
        let stored = try Fixtures.lines(of: segment)
        #expect(mirrored == stored)
        #expect(stored.count == 20)  // 10 decisions, one at a time, each followed by the checkpoint that signs it

        let lastCheckpoint = try #require(mirrored.last { $0.contains("\"type\":\"checkpoint\"") })
        #expect(try Fixtures.verify([log], key: key.publicKey, external: lastCheckpoint).isIntact)
        try Fixtures.write(lines: Array(stored.prefix(6)), to: segment)
        let cut = try Fixtures.verify([log], key: key.publicKey, sealed: true, external: lastCheckpoint)
        #expect(cut.finding?.cause == .truncated)
    }
}

@Suite("AuditMirrorChild", .enabled(if: ProcessInfo.processInfo.environment["AUDIT_MIRROR_CHILD_DIR"] != nil))
struct AuditMirrorChild {
    @Test("write ten decisions with the mirror on")
    func writeWithMirror() throws {
        let environment = ProcessInfo.processInfo.environment
        var configuration = Fixtures.configuration(environment["AUDIT_MIRROR_CHILD_DIR"]!)
        configuration.mirrorToStdout = true
        let writer = try AuditWriter(
            configuration: configuration,
            signingKey: try Ed25519PrivateKey(pemFile: environment["AUDIT_MIRROR_CHILD_KEY"]!),
            clock: { Date() }, logger: Fixtures.logger)
        for index in 0..<10 { _ = try writer.append(Fixtures.record(index)) }
        writer.close()
    }
}
