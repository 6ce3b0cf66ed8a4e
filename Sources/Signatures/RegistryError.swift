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
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
