/// One signature that passed every check, reduced to what policy and audit need: who signed what, with which key,
/// and the signed annotations. Policy never sees raw crypto.
public struct VerifiedSignature: Sendable, Hashable {
    /// The two ways `cosign sign --key` stores a signature in a registry.
    public enum Format: String, Sendable, Hashable {
        /// The `sha256-<hex>.sig` tag with simple-signing layers (cosign v1/v2, v3 without the new bundle format).
        case simpleSigning = "cosign simple-signing (.sig tag)"
        /// A sigstore bundle v0.3 with a DSSE envelope, attached as an OCI referrer (cosign v3's default).
        case sigstoreBundle = "sigstore bundle v0.3 (referrer)"
    }

    public let authority: String
    /// `sha256:` fingerprint of the key that verified it.
    public let keyFingerprint: String
    /// The image manifest digest the signature covers.
    public let digest: String
    /// The signed `optional` annotations (`cosign sign -a key=value`), for promotion rules.
    public let annotations: [String: String]
    public let format: Format
    /// The repository the signer named, when the format carries one.
    public let signedReference: String?
    /// For a keyless authority: the certificate identity and log entry that proved the signature.
    public let signer: KeylessSigner?
    /// Set when what was signed is an attestation the policy asked for (provenance, scan, SBOM) rather than the
    /// image signature itself; such an entry never counts as the image's signature.
    public let attestation: AttestationFacts?

    public init(
        authority: String, keyFingerprint: String, digest: String, annotations: [String: String], format: Format,
        signedReference: String?, signer: KeylessSigner? = nil, attestation: AttestationFacts? = nil
    ) {
        self.authority = authority
        self.keyFingerprint = keyFingerprint
        self.digest = digest
        self.annotations = annotations
        self.format = format
        self.signedReference = signedReference
        self.signer = signer
        self.attestation = attestation
    }
}
