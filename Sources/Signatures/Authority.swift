import AdmissionAPI
import PortcullisCrypto

/// A signer Portcullis trusts: its keys (several during a rotation), the images it may vouch for, and how a
/// signature's docker-reference must relate to the image.
///
/// Trust material is local, loaded from files by the caller; nothing here ever contacts a transparency log or key
/// server, so admission works the same in an air-gapped cluster.
public struct Authority: Sendable {
    public let name: String
    public let keys: [PublicKey]
    public let imagePatterns: [ImagePattern]
    public let identity: IdentityRule
    /// Set for a keyless (Fulcio + Rekor) authority, whose `keys` are then unused: signatures must carry a
    /// certificate that chains to `keyless.trustedRoot` and names an accepted identity (see KeylessVerification).
    public let keyless: KeylessPolicy?

    public init(
        name: String, keys: [PublicKey], imagePatterns: [ImagePattern], identity: IdentityRule = .matchRepository,
        keyless: KeylessPolicy? = nil
    ) {
        self.name = name
        self.keys = keys
        self.imagePatterns = imagePatterns
        self.identity = identity
        self.keyless = keyless
        let text =
            ([name, identity.description, keyless?.description ?? "key"] + keys.map(\.fingerprint).sorted()
            + imagePatterns.map(\.text)).joined(separator: "|")
        self.identityKey = SHA256.hex(of: Array(text.utf8))
    }

    /// Whether this authority may sign `image` at all.
    public func covers(_ image: ImageReference) -> Bool {
        imagePatterns.contains { $0.matches(image.repository) }
    }

    /// SHA-256 of name, identity rule, keyless policy, key fingerprints and patterns: two authorities with the
    /// same identity give the same answers, so this is what a cached verification is keyed by (a rotated key
    /// changes it and so invalidates old results). Computed once, so a cache key stays short and quick to hash
    /// under the cache lock.
    public let identityKey: String
}
