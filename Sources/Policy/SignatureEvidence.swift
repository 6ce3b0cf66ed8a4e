/// What signature verification found for one image, normalised before policy sees it: who signed which digest
/// with which key and with which annotations, or why no signature counts. Policy never sees raw crypto.
public struct SignatureEvidence: Sendable, Equatable {
    /// One signature that verified.
    public struct Signer: Sendable, Equatable {
        public var authority: String
        /// `sha256:` fingerprint of the public key.
        public var keyFingerprint: String
        /// The signed `optional` annotations (`cosign sign -a key=value`).
        public var annotations: [String: String]
        /// For a keyless signature: the certificate subject (SAN e-mail or URI) and OIDC issuer that were accepted.
        public var subject: String?
        public var issuer: String?

        public init(
            authority: String, keyFingerprint: String, annotations: [String: String] = [:], subject: String? = nil,
            issuer: String? = nil
        ) {
            self.authority = authority
            self.keyFingerprint = keyFingerprint
            self.annotations = annotations
            self.subject = subject
            self.issuer = issuer
        }
    }

    /// One attestation whose signature verified for this digest, with the predicate fields policy decides on.
    public struct Attestation: Sendable, Equatable {
        public var predicateType: String
        /// `sha256:` digest of the sigstore bundle that carried it, so the audit line names exactly which one.
        public var bundleDigest: String
        public var authority: String
        /// SLSA provenance: `runDetails.builder.id`, and the source repository and ref (docs/POLICY.md).
        public var builderID: String?
        public var sourceRepository: String?
        public var sourceRef: String?
        /// Vulnerability scan: the highest severity found (`none` for a clean scan; nil when the result could not
        /// be read) and `metadata.scanFinishedOn` as written.
        public var maxSeverity: String?
        public var scanFinishedOn: String?

        public init(
            predicateType: String, bundleDigest: String, authority: String, builderID: String? = nil,
            sourceRepository: String? = nil, sourceRef: String? = nil, maxSeverity: String? = nil,
            scanFinishedOn: String? = nil
        ) {
            self.predicateType = predicateType
            self.bundleDigest = bundleDigest
            self.authority = authority
            self.builderID = builderID
            self.sourceRepository = sourceRepository
            self.sourceRef = sourceRef
            self.maxSeverity = maxSeverity
            self.scanFinishedOn = scanFinishedOn
        }
    }

    /// Why no signature counts.
    public enum FailureReason: String, Sendable, Equatable {
        /// Nobody an accepted authority trusts signed the image.
        case unsigned
        /// Signatures exist but none passed (wrong key, tampered, another digest or repository).
        case invalid
        /// The registry could not be asked or gave an unusable answer; nothing is known either way.
        case unverifiable
    }

    public enum Outcome: Sendable, Equatable {
        case verified([Signer])
        case failed(FailureReason, message: String)
    }

    /// The image as the pod names it.
    public var image: String
    /// The digest verified (the pinned one or the one the tag resolved to), when known.
    public var digest: String?
    public var outcome: Outcome
    /// The attestations of a predicate type the class requires that verified; empty when the signature did not.
    public var attestations: [Attestation]

    public init(image: String, digest: String?, outcome: Outcome, attestations: [Attestation] = []) {
        self.image = image
        self.digest = digest
        self.outcome = outcome
        self.attestations = attestations
    }
}
