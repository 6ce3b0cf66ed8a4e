import ArgumentParser
import Audit
import Foundation
import Logging
import PortcullisCrypto

/// The audit-log side of `portcullis serve`.
struct AuditOptions: ParsableArguments {
    @Option(help: "Directory of the hash-chained audit log. Without it no evidence is kept (not for production).")
    var auditDir: String?

    @Option(help: "Ed25519 private key (PKCS#8 PEM) that signs checkpoints. Required with --audit-dir.")
    var auditKey: String?

    @Option(help: "Chain ID written on every line (default: the host name, i.e. the pod name).")
    var auditChainID: String?

    @Option(help: "Start a new segment when the current one reaches this many bytes.")
    var auditRotateBytes: Int64 = 64 << 20

    @Option(help: "Start a new segment when the current one is this old.")
    var auditRotateAge: Duration = .seconds(24 * 3600)

    @Option(help: "Segments to keep (0 keeps all). Closed segments are gzip-compressed.")
    var auditRetain = 0

    @Flag(help: "Also copy every audit line to standard output, for the cluster's log pipeline.")
    var auditStdout = false

    @Option(
        help:
            "A data class whose admissions are allowed (with a warning) when the audit log cannot be written. Repeatable. By default every class fails closed."
    )
    var auditFailOpen: [String] = []

    func validate() throws {
        if auditDir != nil && auditKey == nil {
            throw ValidationError("--audit-dir needs --audit-key (make one with `portcullis audit keygen`)")
        }
    }

    /// Opens the writer (verifying the log's tail), or nil when auditing is off.
    func makeWriter(logger: Logger) throws -> AuditWriter? {
        guard let auditDir, let auditKey else { return nil }
        let key: Ed25519PrivateKey
        do {
            key = try Ed25519PrivateKey(pemFile: auditKey)
        } catch {
            throw ValidationError("--audit-key \(auditKey): \(error)")
        }
        let configuration = AuditConfiguration(
            directory: auditDir, chainID: auditChainID ?? ProcessInfo.processInfo.hostName,
            rotateBytes: auditRotateBytes, rotateAge: auditRotateAge.seconds, retainSegments: auditRetain,
            mirrorToStdout: auditStdout)
        do {
            return try AuditWriter(configuration: configuration, signingKey: key, clock: Date.init, logger: logger)
        } catch {
            throw ValidationError("audit log \(auditDir): \(error)")
        }
    }
}

extension Duration {
    /// As a `TimeInterval`, for APIs that take seconds.
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
