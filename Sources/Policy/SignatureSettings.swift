/// The policy's signature trust configuration, as written (docs/POLICY.md, "Signatures").
///
/// Pure data: key files are named here but read by whoever loads the policy (webhook, CLI), so this module never
/// touches the file system, and a policy with an unreadable key fails to load as a whole.
public struct SignatureTrust: Sendable, Equatable {
    /// Authorities by name.
    public var authorities: [String: SignatureAuthority]
    /// Per-registry transport settings by `host[:port]`.
    public var registries: [String: RegistrySettings]
    /// A Docker `config.json` with registry credentials (as mounted from a `kubernetes.io/dockerconfigjson` Secret).
    public var registryCredentials: String?
    public var cache: SignatureCacheSettings

    public init(
        authorities: [String: SignatureAuthority] = [:], registries: [String: RegistrySettings] = [:],
        registryCredentials: String? = nil, cache: SignatureCacheSettings = SignatureCacheSettings()
    ) {
        self.authorities = authorities
        self.registries = registries
        self.registryCredentials = registryCredentials
        self.cache = cache
    }
}

/// A signer: its PEM public key files (several during a rotation) or its keyless trust and identities, the image
/// globs it may vouch for, and how the signed docker-reference must relate to the image.
public struct SignatureAuthority: Sendable, Equatable {
    /// How a signature's docker-reference must relate to the admitted image.
    public enum Identity: Sendable, Equatable {
        case matchRepository
        case any
        /// Images under `from` were copied from `to` (both `registry/path`).
        case remap(from: String, to: String)
    }

    public var name: String
    /// Empty for a keyless authority: a policy names either keys or `keyless`, never both.
    public var keyFiles: [String]
    public var images: [String]
    public var identity: Identity
    public var keyless: KeylessSettings?

    public init(
        name: String, keyFiles: [String], images: [String], identity: Identity = .matchRepository,
        keyless: KeylessSettings? = nil
    ) {
        self.name = name
        self.keyFiles = keyFiles
        self.images = images
        self.identity = identity
        self.keyless = keyless
    }
}

/// A keyless (Fulcio + Rekor) authority as written: where its trust material is, and which OIDC issuer and
/// certificate subjects may sign (docs/KEYLESS.md). Identity values are policy text: exact, or `regex:<pattern>`;
/// the loader compiles them, so a broken pattern fails the policy load rather than an admission.
public struct KeylessSettings: Sendable, Equatable {
    /// Where the Fulcio CAs and Rekor keys come from: sigstore's `trusted_root.json`, or PEM files.
    public enum TrustMaterial: Sendable, Equatable {
        case trustedRoot(String)
        case pem(fulcioChain: String, rekorKeys: [String])
    }

    /// `requireProofOfTime`: `any` (cosign's default: the log entry proven by a SET or an inclusion proof, the
    /// signing time by a SET or an RFC 3161 timestamp), or the proofs that must all be present.
    public enum ProofOfTime: Sendable, Equatable {
        /// The policy spellings; Signatures' `ProofOfTime.Kind` has the same raw values.
        public enum Kind: String, Sendable {
            case signedEntryTimestamp = "SET"
            case timestamp = "tsa"
            case inclusionProof
        }

        case any
        case all(Set<Kind>)
    }

    public var trust: TrustMaterial
    public var issuer: String
    public var subjects: [String]
    public var proofOfTime: ProofOfTime

    public init(trust: TrustMaterial, issuer: String, subjects: [String], proofOfTime: ProofOfTime = .any) {
        self.trust = trust
        self.issuer = issuer
        self.subjects = subjects
        self.proofOfTime = proofOfTime
    }
}

/// How to reach one registry: its own CA bundle, or plain HTTP when explicitly marked insecure, and which token
/// realm hosts besides its own may receive its pull credentials.
public struct RegistrySettings: Sendable, Equatable {
    public var caFile: String?
    public var insecure: Bool
    /// `host[:port]` of token services on another host (Docker Hub's `auth.docker.io`).
    public var tokenRealms: [String]

    public init(caFile: String? = nil, insecure: Bool = false, tokenRealms: [String] = []) {
        self.caFile = caFile
        self.insecure = insecure
        self.tokenRealms = tokenRealms
    }
}

/// Bounds of the verification cache: successes live `ttl`, failures `failureTTL`, at most `size` entries.
public struct SignatureCacheSettings: Sendable, Equatable {
    public var ttl: Duration
    public var failureTTL: Duration
    public var size: Int

    public init(ttl: Duration = .seconds(300), failureTTL: Duration = .seconds(60), size: Int = 4096) {
        self.ttl = ttl
        self.failureTTL = failureTTL
        self.size = size
    }
}

/// A class's signature requirement: which authorities count, whether one or all must have signed, the time the
/// verification may take, which signed promotion annotations are enforced, and which attestations those same
/// authorities must have signed.
public struct SignatureRequirement: Sendable, Equatable {
    public var authorities: [String]
    public var requireAll: Bool
    /// The most one admission may spend verifying; the request's own deadline may cut it shorter.
    public var budget: Duration
    public var promotion: PromotionRules
    /// Each must be met by an attestation signed by one of `authorities` (any of them, whatever `requireAll` says).
    public var attestations: [AttestationRequirement]

    public init(
        authorities: [String], requireAll: Bool = false, budget: Duration = .seconds(4),
        promotion: PromotionRules = PromotionRules(), attestations: [AttestationRequirement] = []
    ) {
        self.authorities = authorities
        self.requireAll = requireAll
        self.budget = budget
        self.promotion = promotion
        self.attestations = attestations
    }
}

/// Which signed `optional` annotations (`cosign sign -a key=value`) a class enforces.
public struct PromotionRules: Sendable, Equatable {
    /// `approved-for` must list the class (comma-separated).
    public var approvedFor: Bool
    /// `expires` (RFC 3339) must be in the future.
    public var expires: Bool
    /// `review-by` (RFC 3339) must not have passed.
    public var reviewBy: Bool

    public init(approvedFor: Bool = false, expires: Bool = false, reviewBy: Bool = false) {
        self.approvedFor = approvedFor
        self.expires = expires
        self.reviewBy = reviewBy
    }

    /// True when no annotation is enforced.
    public var isEmpty: Bool { !approvedFor && !expires && !reviewBy }
}
