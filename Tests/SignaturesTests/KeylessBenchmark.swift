import Foundation
import Testing

@testable import Signatures

/// CPU cost of one keyless verification (SET or inclusion proof + checkpoint + timestamp, body match, chain as of
/// the signing time, signature, identity) for docs/PERFORMANCE.md. Prints, never asserts timing; runs only when asked:
/// `KEYLESS_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter KeylessBenchmark`
@Suite("Keyless benchmark", .enabled(if: ProcessInfo.processInfo.environment["KEYLESS_BENCH"] != nil))
struct KeylessBenchmark {
    @Test("keyless verifications per second on one thread, legacy .sig (public sigstore), bundles (local PKI)")
    func verificationsPerSecond() throws {
        let seconds = Double(ProcessInfo.processInfo.environment["KEYLESS_BENCH_SECONDS"] ?? "3") ?? 3
        let cases: [(String, () -> SignatureCheck)] = [
            ("legacy .sig, sigstore public-good (P-384 chain)", { KeylessPublicFixtureTests.check() }),
            ("bundle v0.3, local PKI (P-384 chain)", { KeylessLocalPKITests.check("bundle-workflow") }),
            (
                "bundle v0.3, Rekor v2 inclusion proof + checkpoint + RFC 3161 timestamp (P-384 chain)",
                { KeylessRekorV2Tests.check("v2-tsa") }
            ),
        ]
        for (name, run) in cases {
            _ = try run().result.get()
            var count = 0
            let started = Date()
            while Date().timeIntervalSince(started) < seconds {
                _ = try run().result.get()
                count += 1
            }
            let elapsed = Date().timeIntervalSince(started)
            print(
                String(
                    format: "keyless %@: %d verifications in %.2f s = %.0f µs each", name, count, elapsed,
                    elapsed / Double(count) * 1e6))
        }
    }
}
