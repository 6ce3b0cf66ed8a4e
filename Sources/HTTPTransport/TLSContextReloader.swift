import PortcullisCrypto
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Holds the TLS context new handshakes use, and replaces it when the certificate files change.
///
/// Kubernetes rotates a mounted Secret by pointing a `..data` symlink at a new directory, and
/// cert-manager rewrites files in place; either way stat(2) of the path (which follows symlinks) shows a
/// new inode, mtime or size. A changed set is loaded into a fresh context and swapped in atomically;
/// sessions already open keep the context they started with. A pair that fails to load (expired,
/// mismatched, half-written) leaves the old context serving, and is retried when the files change again.
public final class TLSContextReloader: Sendable {
    /// What `reloadIfChanged` did.
    public enum Outcome: Sendable {
        case unchanged
        case reloaded(TLSContext)
        case failed(any Error)
    }

    private struct State {
        var context: TLSContext
        /// Stamps of the files the last load attempt (good or bad) saw.
        var stamps: [FileStamp?]
    }

    public let certificatePath: String
    public let privateKeyPath: String
    public let clientCAPath: String?
    /// Whether a client without a certificate fails the handshake (see `TLSContext`).
    public let requireClientCertificate: Bool
    private let state: Mutex<State>

    /// Loads the initial context; throws (and the server does not start) when it cannot be loaded.
    public init(
        certificatePath: String, privateKeyPath: String, clientCAPath: String? = nil,
        requireClientCertificate: Bool = true
    ) throws {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.requireClientCertificate = requireClientCertificate
        let stamps = Self.stamps([certificatePath, privateKeyPath, clientCAPath])
        let context = try TLSContext(
            certificatePath: certificatePath, privateKeyPath: privateKeyPath, clientCAPath: clientCAPath,
            requireClientCertificate: requireClientCertificate)
        state = Mutex(State(context: context, stamps: stamps))
    }

    /// The context for the next handshake.
    public var current: TLSContext { state.withLock { $0.context } }

    /// Reloads when any watched file's identity changed since the last attempt.
    public func reloadIfChanged() -> Outcome {
        let stamps = Self.stamps([certificatePath, privateKeyPath, clientCAPath])
        let changed = state.withLock { state in
            guard state.stamps != stamps else { return false }
            state.stamps = stamps
            return true
        }
        guard changed else { return .unchanged }
        do {
            let context = try TLSContext(
                certificatePath: certificatePath, privateKeyPath: privateKeyPath, clientCAPath: clientCAPath,
                requireClientCertificate: requireClientCertificate)
            state.withLock { $0.context = context }
            return .reloaded(context)
        } catch {
            return .failed(error)
        }
    }

    private static func stamps(_ paths: [String?]) -> [FileStamp?] {
        paths.map { $0.flatMap(FileStamp.init(path:)) }
    }
}
