import Foundation
import HTTPTransport
import Policy
import PortcullisCrypto
import Synchronization

/// The policy in force, swapped atomically when its file changes.
///
/// A ConfigMap update swaps a symlink under the mount, so the file is watched by the identity of
/// what the path resolves to, not by inotify on the path. A new text that fails to parse keeps the
/// last good policy in force: a typo pushed to a ConfigMap must not open (or shut) the gate.
public final class PolicyStore: Sendable {
    /// One loaded policy and where it came from.
    public struct Loaded: Sendable {
        public var engine: PolicyEngine
        public var document: PolicyDocument
        public var sha256: String
        public var fingerprint: FileStamp
        /// The verifier for classes that require signatures; nil when no class does.
        public var signatures: SignatureVerification?
    }

    /// What a reload check did, for logs, metrics and the audit trail.
    public enum ReloadOutcome: Sendable {
        case unchanged
        case reloaded(previousSHA256: String, newSHA256: String)
        case rejected(sha256: String, error: String)
    }

    public let path: String
    private let state: Mutex<Loaded>
    /// The hash of the last text that was rejected, so one bad file is reported once, not every poll.
    private let lastRejected = Mutex<String?>(nil)

    /// Loads the policy at `path`; throws a `PolicyFileError` a person can act on if it is unreadable or invalid.
    public init(path: String) throws(PolicyFileError) {
        self.path = path
        self.state = Mutex(try PolicyStore.load(path))
    }

    public var current: Loaded { state.withLock { $0 } }

    /// Re-reads the file if its identity changed; swaps the policy only when the new text is valid.
    public func reloadIfChanged() -> ReloadOutcome {
        let old = current
        guard let fingerprint = FileStamp(path: path), fingerprint != old.fingerprint else { return .unchanged }
        do {
            let new = try PolicyStore.load(path, previous: old.signatures)
            guard new.sha256 != old.sha256 else {
                state.withLock { $0.fingerprint = new.fingerprint }
                return .unchanged
            }
            state.withLock { $0 = new }
            lastRejected.withLock { $0 = nil }
            return .reloaded(previousSHA256: old.sha256, newSHA256: new.sha256)
        } catch {
            let hash = (try? Data(contentsOf: URL(fileURLWithPath: path))).map { SHA256.hex(of: Array($0)) } ?? ""
            let isNew = lastRejected.withLock { last in
                defer { last = hash }
                return last != hash
            }
            return isNew ? .rejected(sha256: hash, error: error.description) : .unchanged
        }
    }

    static func load(_ path: String, previous: SignatureVerification? = nil) throws(PolicyFileError) -> Loaded {
        guard let fingerprint = FileStamp(path: path),
            let data = FileManager.default.contents(atPath: path)
        else { throw PolicyFileError(path: path, reason: "cannot read the file (missing or not readable)") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PolicyFileError(path: path, reason: "the file is not UTF-8 text")
        }
        let document: PolicyDocument
        do {
            document = try PolicyDocument.parse(yaml: text)
        } catch {
            throw PolicyFileError(path: path, reason: "\(error)")
        }
        let sha = SHA256.hex(of: Array(data))
        var signatures: SignatureVerification?
        if document.classes.values.contains(where: \.requireSignatures) {
            do {
                signatures = try SignatureVerification(
                    document.signatures, relativeTo: URL(fileURLWithPath: path).deletingLastPathComponent().path, reusing: previous)
            } catch {
                throw PolicyFileError(path: path, reason: "signature trust: \(error)")
            }
        }
        return Loaded(
            engine: PolicyEngine(policy: document, policySHA256: sha), document: document, sha256: sha,
            fingerprint: fingerprint, signatures: signatures)
    }
}

/// The policy file could not be used; `description` names the file and what to fix.
public struct PolicyFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "policy \(path): \(reason)" }
}
