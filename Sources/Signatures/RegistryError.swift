/// A registry request that did not produce what was asked for.
///
/// `notFound` is an answer (no `.sig` tag means no legacy signature); every other kind means Portcullis could not
/// find out, and the verifier fails closed with `unverifiable`.
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case notFound = "not found"
        case unauthorized = "unauthorized"
        case unavailable = "unavailable"
        case malformed = "malformed answer"
        case tooLarge = "too large"
        case timeout = "timed out"
        /// The registry asked for something the policy does not allow: a redirect that changes scheme or (except
        /// for blobs) host, or a token realm the pull credentials may not go to.
        case refused = "refused"
        /// Served bytes that do not hash to the digest they were asked for: broken or tampered with, and not
        /// expected to heal within seconds as an outage would.
        case digestMismatch = "digest mismatch"
    }

    public let kind: Kind
    public let message: String
    /// The HTTP status when the registry answered with one, so a caller can tell "no such API" from an outage.
    public let status: Int?

    public init(_ kind: Kind, _ message: String, status: Int? = nil) {
        self.kind = kind
        self.message = message
        self.status = status
    }

    public var description: String { message }
}
