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
    /// One loaded policy. A class, so reading `current` on the request path is one retain rather than a copy of
    /// every field.
    public final class Loaded: Sendable {
        public let engine: PolicyEngine
        public let document: PolicyDocument
        public let sha256: String
        /// The verifier for classes that require signatures; nil when no class does.
        public let signatures: SignatureVerification?

        init(engine: PolicyEngine, document: PolicyDocument, sha256: String, signatures: SignatureVerification?) {
            self.engine = engine
            self.document = document
            self.sha256 = sha256
            self.signatures = signatures
        }
    }

    /// What a reload check did, for logs, metrics and the audit trail.
    public enum ReloadOutcome: Sendable {
        case unchanged
        case reloaded(previousSHA256: String, newSHA256: String)
        case rejected(sha256: String, error: String)
    }

    public let path: String
    private let state: Mutex<Loaded>
    /// The identity of the file as last read (good or bad), so an unchanged file is not re-read each poll.
    private let lastStamp: Mutex<FileStamp?>
    /// Why the file on disk is not the policy in force, while that lasts (deleted, unreadable, invalid).
    private let standingProblem = Mutex<String?>(nil)

    /// Loads the policy at `path`; throws a `PolicyFileError` a person can act on if it is unreadable or invalid.
    public init(path: String) throws(PolicyFileError) {
        self.path = path
        let stamp = FileStamp(path: path)
        self.state = Mutex(try PolicyStore.load(path))
        self.lastStamp = Mutex(stamp)
    }

    /// Bumped after every swap of `state`, so threads know their copy is stale (``ThreadLocalPolicy``).
    private let generation = Atomic<Int>(0)

    /// This store's number, never reused in the process: a thread's copy is tagged with it, and an object's
    /// address is not enough, since a store made after another is freed can get the same one.
    private let number = PolicyStore.stores.add(1, ordering: .relaxed).newValue
    private static let stores = Atomic<Int>(0)

    /// The policy in force. Without a reload since this thread last looked, no lock is taken.
    public var current: Loaded {
        let seen = generation.load(ordering: .acquiring)
        if let cached = ThreadLocalPolicy.cached(for: number, generation: seen) { return cached }
        let loaded = state.withLock { $0 }
        // Tagged with the generation read before the lock: a reload in between only makes the next read refresh.
        ThreadLocalPolicy.remember(loaded, for: number, generation: seen)
        return loaded
    }

    /// Why the file on disk is not the policy being served, or nil when it is. Shown by `/readyz` (without
    /// making the replica unready: every replica reads the same ConfigMap, so that would be an outage).
    public var reloadProblem: String? { standingProblem.withLock { $0 } }

    /// Re-reads the file if its identity changed; swaps the policy only when the new text is valid. A file that
    /// disappears or becomes unreadable is a rejected reload, reported once, and the previous policy stays.
    public func reloadIfChanged() -> ReloadOutcome {
        let stamp = FileStamp(path: path)
        let changed = lastStamp.withLock { last in
            defer { last = stamp }
            return last != stamp
        }
        guard changed else { return .unchanged }
        let old = current
        do {
            let new = try PolicyStore.load(path, previous: old.signatures)
            standingProblem.withLock { $0 = nil }
            guard new.sha256 != old.sha256 else { return .unchanged }
            state.withLock { $0 = new }
            generation.add(1, ordering: .releasing)
            return .reloaded(previousSHA256: old.sha256, newSHA256: new.sha256)
        } catch {
            standingProblem.withLock { $0 = error.description }
            let hash = SHA256.hash(fileAt: path)?.hex ?? ""
            return .rejected(sha256: hash, error: error.description)
        }
    }

    static func load(_ path: String, previous: SignatureVerification? = nil) throws(PolicyFileError) -> Loaded {
        guard let data = FileManager.default.contents(atPath: path)
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
                    document.signatures, relativeTo: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                    reusing: previous)
            } catch {
                throw PolicyFileError(path: path, reason: "signature trust: \(error)")
            }
        }
        return Loaded(
            engine: PolicyEngine(policy: document, policySHA256: sha), document: document, sha256: sha,
            signatures: signatures)
    }
}

/// The policy file could not be used; `description` names the file and what to fix.
public struct PolicyFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "policy \(path): \(reason)" }
}
