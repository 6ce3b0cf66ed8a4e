import Foundation
import HTTPTransport
import Logging
import PortcullisCrypto
import Synchronization
import Testing

@testable import Audit
@testable import Webhook

/// Whether the disk answers, flipped by the test.
private final class DiskState: Sendable {
    let hung = Atomic<Bool>(false)
}

/// An audit segment whose `fdatasync` blocks while the disk is hung, as a disk that stops answering does.
private final class HungSyncSegmentFile: SegmentFile {
    let real: PosixSegmentFile
    let disk: DiskState

    init(path: String, disk: DiskState) throws(AuditError) {
        real = try PosixSegmentFile(path: path)
        self.disk = disk
    }

    var size: Int64 { real.size }
    func append(_ bytes: [UInt8]) throws(AuditError) { try real.append(bytes) }
    func sync() throws(AuditError) {
        while disk.hung.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: 0.005) }
        try real.sync()
    }
    func truncate(to size: Int64) throws(AuditError) { try real.truncate(to: size) }
    func checkInPlace() throws(AuditError) { try real.checkInPlace() }
    func close() { real.close() }
}

/// Admissions decided on the I/O thread (`InlineHTTPHandler`), through a real server, policy and audit writer.
@Suite("Admissions answered on the I/O thread", .serialized)
struct InlineAdmissionTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test("a hung audit disk: the admission is denied AuditUnavailable by its deadline, and its line is recorded late")
    func hungDiskAnswersAtTheDeadline() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("inline-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let certs = root.appendingPathComponent("certs")
        let makeCerts = Process()
        makeCerts.executableURL = Self.repository.appendingPathComponent("certs-dev/make-dev-certs.sh")
        makeCerts.arguments = [certs.path]
        makeCerts.standardOutput = FileHandle.nullDevice
        try makeCerts.run()
        makeCerts.waitUntilExit()
        try #require(makeCerts.terminationStatus == 0)

        let disk = DiskState()
        var configuration = AuditConfiguration(directory: root.appendingPathComponent("audit").path)
        configuration.openSegment = { path throws(AuditError) in try HungSyncSegmentFile(path: path, disk: disk) }
        let writer = try AuditWriter(
            configuration: configuration, signingKey: try Ed25519PrivateKey.generate(), clock: { Date() },
            logger: Logger(label: "test"))
        let metrics = WebhookMetrics()
        let endpoint = AdmissionEndpoint(
            policies: try PolicyStore(path: Self.repository.appendingPathComponent("deploy/policy.yaml").path),
            audit: writer, metrics: metrics, logger: Logger(label: "test"))
        let handler = WebhookHandler(admission: endpoint, readiness: Readiness([]), metrics: metrics)
        let tls = try TLSContextReloader(
            certificatePath: certs.appendingPathComponent("server.pem").path,
            privateKeyPath: certs.appendingPathComponent("server-key.pem").path, requireClientCertificate: false)
        let server = try HTTPServer(
            configuration: HTTPServerConfiguration(address: ListenAddress(host: "127.0.0.1", port: 0)), tls: tls,
            handler: handler, logger: Logger(label: "test"))
        let port = try server.bind().port
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.run()
            finished.signal()
        }
        defer {
            server.stop()
            _ = finished.wait(timeout: .now() + 10)
            writer.close()
        }

        let review = Self.repository.appendingPathComponent("examples/admission-review-pod.json").path
        func admit() throws -> String {
            let curl = Process()
            let output = Pipe()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = [
                "-sS", "--max-time", "10", "--cacert", certs.appendingPathComponent("ca.pem").path,
                "-H", "Content-Type: application/json", "--data-binary", "@\(review)",
                "https://localhost:\(port)/validate/ephi?timeout=1s",
            ]
            curl.standardOutput = output
            try curl.run()
            let body = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            curl.waitUntilExit()
            return body
        }

        let healthy = try admit()
        #expect(healthy.contains("\"allowed\":true") && healthy.contains("\"audit-seq\""), "\(healthy)")
        disk.hung.store(true, ordering: .relaxed)
        let denied = try admit()
        #expect(denied.contains("\"allowed\":false") && denied.contains("AuditUnavailable"), "\(denied)")
        #expect(!writer.isHealthy, "a writer that cannot answer in time is not fit to serve")
        disk.hung.store(false, ordering: .relaxed)
        var lines: [String] = []
        for _ in 0..<500 where !lines.contains(where: { $0.contains("\"event\":\"auditLateLines\"") }) {
            Thread.sleep(forTimeInterval: 0.02)
            let segments = try FileManager.default.contentsOfDirectory(atPath: configuration.directory)
                .filter { $0.hasSuffix(".jsonl") }
            lines = try segments.flatMap {
                try String(contentsOfFile: configuration.directory + "/" + $0, encoding: .utf8)
                    .split(separator: "\n").map(String.init)
            }
        }
        #expect(
            lines.contains { $0.contains("\"event\":\"auditLateLines\"") },
            "the line that became durable after its AuditUnavailable answer is recorded as late")
    }
}
