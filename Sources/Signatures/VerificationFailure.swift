/// Why an image could not be admitted as signed, as a value a person can act on.
///
/// The reason separates "nobody signed this" from "a signature is there but wrong" from "we could not find out",
/// because each needs a different person: the release owner, the security team, or whoever runs the registry.
public struct VerificationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable {
        /// No signature by an accepted authority exists for the image.
        case unsigned
        /// Signatures exist but none passed (wrong key, tampered payload, other digest or repository).
        case invalid
        /// The registry could not be asked or gave an unusable answer (down, slow, 429/5xx, malformed, oversized).
        case unverifiable
    }

    public let reason: Reason
    /// The image as the pod named it.
    public let image: String
    public let registry: String
    public let message: String
    /// Whether asking again soon may well succeed: an outage, a timeout or a rate limit. The cache keeps such a
    /// failure only seconds and lets a just-expired verification stand in for it. A registry serving bytes that do
    /// not match their digest is unverifiable but not transient: it is kept for the failure TTL like a verdict.
    public let transient: Bool

    /// - Parameter transient: defaults to `true` exactly for `unverifiable`.
    public init(_ reason: Reason, image: String, registry: String, _ message: String, transient: Bool? = nil) {
        self.reason = reason
        self.image = image
        self.registry = registry
        self.message = message
        self.transient = transient ?? (reason == .unverifiable)
    }

    public var description: String { "image \(image) (registry \(registry)): \(reason.rawValue): \(message)" }
}
