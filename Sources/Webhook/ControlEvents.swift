import Audit
import Foundation
import Logging
import Policy
import PortcullisCrypto
import Synchronization

/// Turns what happens to the server (start, stop, policy reloads, trust material, certificates)
/// into control lines in the audit chain, so the log alone says which controls decided each admission.
///
/// Recording never fails the caller: a control line that cannot be written is logged as an error
/// (the writer is then unhealthy, `/readyz` says so, and decisions are refused until it recovers).
public final class ControlEvents: Sendable {
    /// The program version written in `serverStarted`.
    public static let programVersion = "0.1.0-dev"

    private let writer: AuditWriter?
    private let logger: Logger
    private let trusted = Mutex<[ControlEvent.Authority]?>(nil)
    private let certificateSerial = Mutex<String?>(nil)

    public init(writer: AuditWriter?, logger: Logger) {
        self.writer = writer
        self.logger = logger
    }

    public func record(_ event: ControlEvent) {
        guard let writer else { return }
        do {
            try writer.append(event)
        } catch {
            logger.error(
                "cannot record a control event in the audit log",
                metadata: ["event": "\(event.event)", "error": "\(error.message)"])
        }
    }

    /// Records the start: version, the SHA-256 of the running binary (`build`), of the command line
    /// (`configuration`, paths and settings only — no secret is ever an argument), each class's mode, and what
    /// opening the log found (the previous run's signed head, sealed or crashed, lines quarantined).
    public func serverStarted(policy: PolicyDocument, arguments: [String] = CommandLine.arguments) {
        let build = SHA256.hash(fileAt: "/proc/self/exe")?.hex
        let configuration = SHA256.hex(of: Array(arguments.joined(separator: "\u{0}").utf8))
        record(
            .serverStarted(
                version: ControlEvents.programVersion, build: build ?? "unknown", configurationSHA256: configuration,
                modes: policy.classNames.map {
                    ControlEvent.ClassMode(dataClass: $0, mode: policy.classes[$0]!.mode.rawValue)
                }, recovery: writer?.recovery
            ))
    }

    public func serverStopped(reason: String) {
        record(.serverStopped(reason: reason))
    }

    /// Records the policy in force at start, and the trust material it loaded.
    public func policyLoaded(_ store: PolicyStore) {
        let loaded = store.current
        record(.policyLoaded(path: store.path, sha256: loaded.sha256))
        trustMaterialLoaded(authorities: loaded.signatures?.trustFingerprints ?? [])
    }

    /// For `PolicyStore.watch(onChange:)`: a reload in force or a rejected one.
    public func policyChanged(_ outcome: PolicyStore.ReloadOutcome, store: PolicyStore) {
        switch outcome {
        case .unchanged:
            break
        case .reloaded(let previous, let new):
            record(.policyReloaded(path: store.path, previousSHA256: previous, sha256: new))
            trustMaterialLoaded(authorities: store.current.signatures?.trustFingerprints ?? [])
        case .rejected(let sha256, let error):
            record(
                .policyRejected(
                    path: store.path, activeSHA256: store.current.sha256, rejectedSHA256: sha256, error: error))
        }
    }

    /// Records the image-signing authorities now trusted, with their key fingerprints (SHA-256, hex; for a keyless
    /// authority its trusted root's). The first non-empty set logs `trustMaterialLoaded`; a later call with a
    /// different set `trustMaterialChanged` (an empty one included: trust withdrawn); the same set again, or no
    /// trust before any was loaded, nothing, so callers may call it on every policy or key-file reload.
    public func trustMaterialLoaded(authorities: [(name: String, fingerprints: [String])]) {
        let sorted = authorities.map { ControlEvent.Authority(name: $0.name, fingerprints: $0.fingerprints.sorted()) }
            .sorted { $0.name < $1.name }
        let previous = trusted.withLock { current in
            defer { current = sorted }
            return current
        }
        guard (previous ?? []) != sorted else { return }
        record(.trustMaterial(sorted, changed: previous?.isEmpty == false))
    }

    /// For the transport's certificate observer: the first certificate is `certificateLoaded`, a new one `certificateRotated`.
    public func certificateInService(_ certificate: Certificate) {
        let serial = certificate.serialNumber
        let previous = certificateSerial.withLock { current in
            defer { current = serial }
            return current
        }
        guard previous != serial else { return }
        record(
            .certificate(
                serial: serial, subject: certificate.subject, notAfter: Certificate.iso8601(certificate.notAfter),
                rotated: previous != nil))
    }
}
