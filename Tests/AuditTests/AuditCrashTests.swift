import Foundation
import PortcullisCrypto
import Testing

@testable import Audit
@testable import AuditReading

/// kill -9 during concurrent appends: every append that returned (was acknowledged) is in the log,
/// and after a restart the chain verifies. The writer runs in a child process, which is this test
/// binary re-run with only `AuditCrashChild` enabled.
@Suite("AuditWriter survives kill -9")
struct AuditCrashTests {
    @Test("every acknowledged append survives kill -9, and the restarted writer seals a verifying log")
    func killDashNine() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        try key.pemPKCS8().write(toFile: directory.file("key.pem"), atomically: false, encoding: .utf8)
        let log = directory.file("log")
        let output = directory.file("child.out")
        _ = FileManager.default.createFile(atPath: output, contents: nil)

        let child = try Fixtures.childRunning(
            suite: "AuditCrashChild",
            environment: ["AUDIT_CRASH_CHILD_DIR": log, "AUDIT_CRASH_CHILD_KEY": directory.file("key.pem")])
        child.standardOutput = FileHandle(forWritingAtPath: output)
        try child.run()
        let deadline = Date().addingTimeInterval(60)
        while Self.acknowledged(output).count < 300 && Date() < deadline && child.isRunning {
            Thread.sleep(forTimeInterval: 0.01)
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)
        let acked = Self.acknowledged(output)
        #expect(acked.count >= 300, "the child acknowledged only \(acked.count) appends")

        // Before restart: the chain verifies as far as it goes (the tail may be unsigned, or torn).
        let crashed = try Fixtures.verify([log], key: key.publicKey)
        #expect(crashed.isIntact || crashed.finding?.cause == .truncated)
        let writer = try AuditWriter(
            configuration: Fixtures.configuration(log), signingKey: key,
            clock: { Date() }, logger: Fixtures.logger)
        writer.close()
        let report = try Fixtures.verify([log], key: key.publicKey, sealed: true)
        #expect(report.isIntact, "\(report.finding.map(String.init(describing:)) ?? "")")
        var inLog = Set<UInt64>()
        try AuditQuery().run(paths: [log]) { entry in
            inLog.insert(entry.seq)
            return true
        }
        #expect(acked.isSubset(of: inLog), "acknowledged but missing: \(acked.subtracting(inLog).sorted().prefix(10))")
    }

    static func acknowledged(_ path: String) -> Set<UInt64> {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return Set(
            text.split(separator: "\n").compactMap { line in
                line.hasPrefix("acked ") ? UInt64(line.dropFirst(6)) : nil
            })
    }
}

/// The child side of `AuditCrashTests`: appends from 8 threads and prints each acknowledged sequence
/// number until it is killed. Enabled only in the child process.
@Suite("AuditCrashChild", .enabled(if: ProcessInfo.processInfo.environment["AUDIT_CRASH_CHILD_DIR"] != nil))
struct AuditCrashChild {
    @Test("append until killed")
    func appendUntilKilled() throws {
        let environment = ProcessInfo.processInfo.environment
        let key = try Ed25519PrivateKey(pemFile: environment["AUDIT_CRASH_CHILD_KEY"]!)
        var configuration = Fixtures.configuration(environment["AUDIT_CRASH_CHILD_DIR"]!)
        configuration.rotateBytes = 64 * 1024
        let writer = try AuditWriter(
            configuration: configuration, signingKey: key, clock: { Date() },
            logger: Fixtures.logger)
        let stop = Date().addingTimeInterval(60)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            var index = 0
            while Date() < stop {
                guard let seq = try? writer.append(Fixtures.record(thread * 1_000_000 + index)) else { continue }
                // One write(2) per acknowledgement, so lines never interleave and nothing sits in a buffer.
                let line = Array("acked \(seq)\n".utf8)
                _ = line.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
                index += 1
            }
        }
    }
}
