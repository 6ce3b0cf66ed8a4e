import Foundation
import PortcullisCrypto
import Testing

@testable import Audit

/// Throughput figures for docs/PERFORMANCE.md. Prints, never asserts timing; runs only when asked:
/// `AUDIT_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter AuditBenchmark`
/// (`AUDIT_BENCH_DIR=/path` keeps the log there, to time `portcullis audit verify` on it too).
@Suite("Audit benchmark", .enabled(if: ProcessInfo.processInfo.environment["AUDIT_BENCH"] != nil))
struct AuditBenchmark {
    @Test("group-commit appends/s from 16 threads, then verify MB/s over the resulting log")
    func appendAndVerify() throws {
        let environment = ProcessInfo.processInfo.environment
        let scratch = TemporaryDirectory()
        let directory = environment["AUDIT_BENCH_DIR"] ?? scratch.path
        let seconds = Double(environment["AUDIT_BENCH_SECONDS"] ?? "5") ?? 5
        let key = try Ed25519PrivateKey.generate()
        var configuration = AuditConfiguration(directory: directory, chainID: "bench", origin: "portcullis.bench/audit")
        configuration.rotateBytes = 256 << 20
        let writer = try AuditWriter(
            configuration: configuration, signingKey: key, clock: { Date() }, logger: Fixtures.logger)
        let threads = 16
        let count = ConcurrentBox(0)
        let stop = Date().addingTimeInterval(seconds)
        let started = Date()
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var index = 0
            var record = Fixtures.record(
                thread, rules: [.init(id: "registry-origin", message: "image from docker.io")],
                images: [
                    .init(
                        reference: "registry.internal/ml/trainer:1.2",
                        digest: "sha256:" + String(repeating: "ab", count: 32))
                ])
            while Date() < stop {
                record.uid = "\(thread)-\(index)"
                _ = try! writer.append(record)
                index += 1
            }
            count.mutate { $0 += index }
        }
        let elapsed = Date().timeIntervalSince(started)
        writer.close()
        print(
            "AUDIT-BENCH appends: \(count.value) durable appends from \(threads) threads in \(String(format: "%.2f", elapsed)) s = "
                + "\(Int(Double(count.value) / elapsed)) appends/s (fdatasync group commit)")

        let verifyStarted = Date()
        let reports = try AuditVerifier(key: key.publicKey, requireSealed: true).verify(paths: [directory])
        let verifyElapsed = Date().timeIntervalSince(verifyStarted)
        let bytes = reports.reduce(0) { $0 + $1.bytes }
        #expect(reports.allSatisfy { $0.isIntact })
        print(
            "AUDIT-BENCH verify: \(bytes / 1_000_000) MB in \(String(format: "%.2f", verifyElapsed)) s = "
                + "\(Int(Double(bytes) / 1e6 / verifyElapsed)) MB/s")
    }
}
