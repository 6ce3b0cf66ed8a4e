import Foundation
import PortcullisCrypto
import Testing

@testable import Audit
@testable import AuditReading

/// Writes a large, varied audit log (gzip segments included) to time `portcullis audit report` on it, and a
/// small one for the sample screenshot. Prints, never asserts timing; runs only when asked:
/// `REPORT_BENCH_DIR=/tmp/big REPORT_BENCH_LINES=1000000 swift test --filter AuditReportBenchmark`, then
/// `time portcullis audit report --key /tmp/big/key.pub.pem -o /tmp/big.html /tmp/big/log`.
@Suite("Audit report log generator", .enabled(if: ProcessInfo.processInfo.environment["REPORT_BENCH_DIR"] != nil))
struct AuditReportBenchmark {
    @Test("generate a varied log with known shape")
    func generate() throws {
        let environment = ProcessInfo.processInfo.environment
        let root = environment["REPORT_BENCH_DIR"]!
        let total = Int(environment["REPORT_BENCH_LINES"] ?? "1000000") ?? 1_000_000
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let key = try Ed25519PrivateKey.generate()
        try key.publicKey.pemSPKI().write(toFile: root + "/key.pub.pem", atomically: true, encoding: .utf8)
        var configuration = AuditConfiguration(
            directory: root + "/log", chainID: "portcullis-0", origin: "portcullis.example/audit",
            rotateBytes: 64 << 20)
        // Durability is not what is measured here; skipping fdatasync makes generating a million lines quick.
        configuration.openSegment = { path throws(AuditError) in UnsyncedSegmentFile(try PosixSegmentFile(path: path)) }
        let clock = TestClock()
        // Spread the lines over two days, whatever their number.
        let step = 2 * 86400 / Double(total)
        let writer = try AuditWriter(
            configuration: configuration, signingKey: key, clock: { clock() }, logger: Fixtures.logger)
        let rules = [
            ("registry-origin", "image docker.io/library/nginx:1.25 is not from an allowed registry"),
            ("require-digest", "image must be pinned by digest (@sha256:…)"),
            ("zone-placement", "pod may only run in zones eu-west-1a, eu-west-1b"),
            ("gpu-toleration", "pods in class ephi may not tolerate shared GPU nodes"),
            ("image-signature", "image is not signed by a trusted authority"),
        ]
        let classes = ["ephi", "cardholder-data", "personal-data", "public"]
        let started = Date()
        let signer = ControlEvent.Authority(name: "corp-signer", fingerprints: [SHA256.hex(of: Array("k1".utf8))])
        try writer.append(
            .serverStarted(
                version: "0.1.0", build: SHA256.hex(of: Array("build".utf8)), configurationSHA256: SHA256.hex(of: []),
                modes: classes.map { .init(dataClass: $0, mode: $0 == "public" ? "warn" : "enforce") }))
        try writer.append(.policyLoaded(path: "/etc/portcullis/policy.yaml", sha256: SHA256.hex(of: Array("0".utf8))))
        try writer.append(.trustMaterial([signer], changed: false))
        try writer.append(
            .certificate(
                serial: "5A1F", subject: "CN=portcullis.portcullis.svc", notAfter: "2027-03-01T00:00:00Z",
                rotated: false))
        let threads = 8
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in stride(from: thread, to: total, by: threads) {
                if index == total / 2 {
                    let second = ControlEvent.Authority(
                        name: "release-signer", fingerprints: [SHA256.hex(of: Array("k2".utf8))])
                    try? writer.append(.trustMaterial([signer, second], changed: true))
                }
                if index == total * 3 / 4 {
                    try? writer.append(
                        .certificate(
                            serial: "7C02", subject: "CN=portcullis.portcullis.svc",
                            notAfter: "2027-05-01T00:00:00Z", rotated: true))
                }
                if index % 100_000 == 50_000 || index == total / 3 {
                    try? writer.append(
                        .policyReloaded(
                            path: "/etc/portcullis/policy.yaml",
                            previousSHA256: SHA256.hex(of: Array("\(index - 1)".utf8)),
                            sha256: SHA256.hex(of: Array("\(index)".utf8))))
                }
                var record = Fixtures.record(
                    index, namespace: "team-\(index % 37)", dataClass: classes[index % 4], user: "user-\(index % 211)",
                    images: [
                        .init(
                            reference: "registry.internal/app-\(index % 23):1.\(index % 5)",
                            digest: "sha256:" + String(repeating: String(index % 23, radix: 16), count: 64).prefix(64),
                            authority: index % 23 == 0 ? nil : "corp-signer")
                    ])
                switch index % 100 {
                case 0..<10:
                    record.decision = .denied
                    record.rules = [rules[index % 17 % rules.count]].map { .init(id: $0.0, message: $0.1) }
                case 10..<14:
                    record.decision = .warned
                    record.mode = "warn"
                    record.rules = [.init(id: rules[0].0, message: rules[0].1)]
                case 14:
                    record.decision = .error
                    record.reason = "AuditUnavailable"
                case 15, 16:
                    record.exemptions = [.init(rule: "gpu-toleration", reason: "INC-4711 until 2027-02-01")]
                default:
                    break
                }
                _ = try? writer.append(record)
                clock.advance(by: step)
            }
        }
        writer.close()
        print(
            "generated \(total) decisions in \(String(format: "%.1f", Date().timeIntervalSince(started))) s in \(root)/log"
        )
    }
}

/// A segment file whose `sync` does nothing, for generating test logs fast.
private final class UnsyncedSegmentFile: SegmentFile {
    let base: any SegmentFile
    init(_ base: any SegmentFile) { self.base = base }
    var size: Int64 { base.size }
    func append(_ bytes: [UInt8]) throws(AuditError) { try base.append(bytes) }
    func sync() throws(AuditError) {}
    func truncate(to size: Int64) throws(AuditError) { try base.truncate(to: size) }
    func checkInPlace() throws(AuditError) { try base.checkInPlace() }
    func close() { base.close() }
}
