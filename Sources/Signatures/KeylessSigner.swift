import PortcullisCrypto

/// Who signed a keyless signature, as the Fulcio certificate and the Rekor entry proved it: the normalised identity
/// policy and audit read, never the raw certificate.
public struct KeylessSigner: Sendable, Hashable, CustomStringConvertible {
    /// The SAN value (e-mail or URI) that satisfied the authority's subjects.
    public let subject: String
    /// The OIDC issuer recorded in the certificate.
    public let issuer: String
    /// `sha256:` of the DER leaf certificate.
    public let certificateFingerprint: String
    /// When the signature was made (UNIX seconds), as an RFC 3161 timestamp or Rekor's SignedEntryTimestamp
    /// proved it: the time the certificate was checked at.
    public let signingTime: Int
    public let logIndex: Int64

    public var description: String {
        "\(subject) (issuer \(issuer), Rekor entry \(logIndex), signed \(Certificate.iso8601(signingTime)))"
    }
}
