/// The content of one admission decision, as the webhook hands it to the `AuditWriter`.
///
/// The writer adds the schema version, sequence number, time, chain ID and `prev` hash. What is
/// *not* here is deliberate: the raw object, environment values, command lines, annotation values
/// and secrets never enter the log (audit logs are evidence, not a copy of the workload), so there
/// is no field that could carry them. Rule messages are written as the policy phrased them.
public struct AuditRecord: Sendable, Codable, Equatable {
    /// The decision recorded. `error` means the webhook could not decide (bad request, internal failure).
    public enum Decision: String, Sendable, Codable, CaseIterable {
        case allowed, denied, warned, error
    }

    /// `{group, version, kind}` of the admitted object.
    public struct Kind: Sendable, Codable, Equatable {
        public var group: String
        public var version: String
        public var kind: String

        public init(group: String, version: String, kind: String) {
            self.group = group
            self.version = version
            self.kind = kind
        }
    }

    /// A rule that denied or warned, by its stable ID, with the message the user saw.
    public struct Rule: Sendable, Codable, Equatable {
        public var id: String
        public var message: String

        public init(id: String, message: String) {
            self.id = id
            self.message = message
        }
    }

    /// An exemption that was applied; `rule` is nil when it exempted the whole object.
    public struct Exemption: Sendable, Codable, Equatable {
        public var rule: String?
        public var reason: String

        public init(rule: String? = nil, reason: String) {
            self.rule = rule
            self.reason = reason
        }
    }

    /// One attestation a decision rested on: its predicate type, the digest of the bundle that carried it, and the
    /// fields decided on (provenance builder and source; scan severity and time). An SBOM's format is its type.
    public struct Attestation: Sendable, Codable, Equatable {
        public var predicateType: String
        public var digest: String
        public var builderID: String?
        public var sourceRepository: String?
        public var sourceRef: String?
        public var maxSeverity: String?
        public var scanFinishedOn: String?

        public init(
            predicateType: String, digest: String, builderID: String? = nil, sourceRepository: String? = nil,
            sourceRef: String? = nil, maxSeverity: String? = nil, scanFinishedOn: String? = nil
        ) {
            self.predicateType = predicateType
            self.digest = digest
            self.builderID = builderID
            self.sourceRepository = sourceRepository
            self.sourceRef = sourceRef
            self.maxSeverity = maxSeverity
            self.scanFinishedOn = scanFinishedOn
        }
    }

    /// An image in the object: its reference, the digest it resolved to, and who vouched for it.
    public struct Image: Sendable, Codable, Equatable {
        public var reference: String
        public var digest: String?
        /// The trust authority whose signature verified the image, if any.
        public var authority: String?
        /// The key within that authority: the public key's fingerprint, or for a keyless signature the leaf
        /// certificate's.
        public var key: String?
        /// For a keyless signature, the identity the certificate proved: its SAN (e-mail or URI) and OIDC issuer.
        public var subject: String?
        public var issuer: String?
        /// The signed promotion annotations the verdict could rest on (`approved-for`, `expires`, `review-by`), as
        /// signed; other annotations are not copied (annotation values are not evidence).
        public var approvedFor: String?
        public var expires: String?
        public var reviewBy: String?
        /// The attestations the class's `image-attestation` requirements were decided on; absent when none.
        public var attestations: [Attestation]?
        /// Set when the image is an artifact the pod mounts (an image volume or an image-pulling CSI volume): the
        /// volume's name. Absent for container images. A model's line says which volume brought it in.
        public var volume: String?

        public init(
            reference: String, digest: String? = nil, authority: String? = nil, key: String? = nil,
            subject: String? = nil, issuer: String? = nil, approvedFor: String? = nil, expires: String? = nil,
            reviewBy: String? = nil, volume: String? = nil
        ) {
            self.volume = volume
            self.reference = reference
            self.digest = digest
            self.authority = authority
            self.key = key
            self.subject = subject
            self.issuer = issuer
            self.approvedFor = approvedFor
            self.expires = expires
            self.reviewBy = reviewBy
        }
    }

    public var uid: String
    public var operation: String
    public var kind: Kind
    public var resource: String
    public var subResource: String?
    public var namespace: String?
    public var name: String?
    public var generateName: String?
    public var user: String
    public var groups: [String]
    public var dataClass: String?
    public var decision: Decision
    /// The enforcement mode of the class (`enforce`, `warn`, `dry-run`…), as policy names it.
    public var mode: String
    public var rules: [Rule]
    public var exemptions: [Exemption]
    public var images: [Image]
    public var policySHA256: String
    public var dryRun: Bool
    public var latencyMicros: UInt64
    /// Why the decision was forced rather than computed, e.g. `AuditUnavailable`.
    public var reason: String?
    /// The storage classes the object's volume claims end up with (where its data will live), when it has any.
    public var storageClasses: [String]?
    /// The pod's volume source types (`emptyDir`, `hostPath`, `persistentVolumeClaim`, …), when it has volumes.
    public var volumeTypes: [String]?
    /// Set when the full line would have exceeded the line limit: what was left out, measured.
    public var cut: Cut?

    /// What a decision line too long for the limit left out (rule messages, exemption reasons, images,
    /// groups; identifiers longer than 1 KiB are shortened): the length and SHA-256 of the members the
    /// full line would have carried, so the full record can be matched if it is reconstructed.
    public struct Cut: Sendable, Codable, Equatable {
        public var length: Int
        public var sha256: String

        public init(length: Int, sha256: String) {
            self.length = length
            self.sha256 = sha256
        }
    }
    /// Who asked: the verified client certificate, or `unauthenticated` with the peer address. Added within
    /// schema v1, so lines written before it have none.
    public var caller: Caller?

    public init(
        uid: String, operation: String, kind: Kind, resource: String, subResource: String? = nil,
        namespace: String? = nil, name: String? = nil, generateName: String? = nil,
        user: String, groups: [String] = [], dataClass: String? = nil, decision: Decision, mode: String,
        rules: [Rule] = [], exemptions: [Exemption] = [], images: [Image] = [], policySHA256: String,
        dryRun: Bool = false, latencyMicros: UInt64 = 0, reason: String? = nil, caller: Caller? = nil
    ) {
        self.uid = uid
        self.operation = operation
        self.kind = kind
        self.resource = resource
        self.subResource = subResource
        self.namespace = namespace
        self.name = name
        self.generateName = generateName
        self.user = user
        self.groups = groups
        self.dataClass = dataClass
        self.decision = decision
        self.mode = mode
        self.rules = rules
        self.exemptions = exemptions
        self.images = images
        self.policySHA256 = policySHA256
        self.dryRun = dryRun
        self.latencyMicros = latencyMicros
        self.reason = reason
        self.caller = caller
    }

    /// The record's members in the documented v1 order, without braces (spliced after the line prefix).
    func encodedMembers() -> [UInt8] {
        var line = JSONLine()
        line.field("uid", uid)
        line.field("operation", operation)
        line.field("kind") { (o: inout JSONLine) in
            o.field("group", kind.group)
            o.field("version", kind.version)
            o.field("kind", kind.kind)
        }
        line.field("resource", resource)
        line.field("subResource", subResource)
        line.field("namespace", namespace)
        line.field("name", name)
        line.field("generateName", generateName)
        line.field("user", user)
        line.field("groups", groups)
        line.field("dataClass", dataClass)
        line.field("decision", decision.rawValue)
        line.field("mode", mode)
        line.field("rules", objects: rules) { o, rule in
            o.field("id", rule.id)
            o.field("message", rule.message)
        }
        line.field("exemptions", objects: exemptions) { o, exemption in
            o.field("rule", exemption.rule)
            o.field("reason", exemption.reason)
        }
        line.field("images", objects: images) { o, image in
            o.field("reference", image.reference)
            o.field("digest", image.digest)
            o.field("authority", image.authority)
            o.field("key", image.key)
            o.field("subject", image.subject)
            o.field("issuer", image.issuer)
            o.field("approvedFor", image.approvedFor)
            o.field("expires", image.expires)
            o.field("reviewBy", image.reviewBy)
            if let attestations = image.attestations {
                o.field("attestations", objects: attestations) { a, attestation in
                    a.field("predicateType", attestation.predicateType)
                    a.field("digest", attestation.digest)
                    a.field("builderID", attestation.builderID)
                    a.field("sourceRepository", attestation.sourceRepository)
                    a.field("sourceRef", attestation.sourceRef)
                    a.field("maxSeverity", attestation.maxSeverity)
                    a.field("scanFinishedOn", attestation.scanFinishedOn)
                }
            }
            o.field("volume", image.volume)
        }
        line.field("policySHA256", policySHA256)
        line.field("dryRun", dryRun)
        line.field("latencyMicros", latencyMicros)
        line.field("reason", reason)
        if let storageClasses { line.field("storageClasses", storageClasses) }
        if let volumeTypes { line.field("volumeTypes", volumeTypes) }
        if let cut {
            line.field("cut") { (o: inout JSONLine) in
                o.field("length", UInt64(cut.length))
                o.field("sha256", cut.sha256)
            }
        }
        if let caller {
            line.field("caller") { (o: inout JSONLine) in
                o.field("auth", caller.auth)
                o.field("peer", caller.peer)
                o.field("subject", caller.subject)
                o.field("issuer", caller.issuer)
                o.field("fingerprint", caller.fingerprint)
            }
        }
        return line.members()
    }
}
