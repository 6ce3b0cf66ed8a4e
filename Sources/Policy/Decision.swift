/// What the policy decided about one request, with everything the response, the audit log and
/// `portcullis evaluate` need to explain it.
public struct Decision: Sendable, Equatable {
    /// False only when some violation is in `enforce` mode.
    public var allowed: Bool
    /// False for kinds, subresources and operations outside Portcullis' scope (allowed unexamined).
    public var evaluated: Bool
    /// The resolved data class; nil when none could be resolved or the request was not evaluated.
    public var className: String?
    /// The class's own mode (rules may override it per violation).
    public var classMode: EnforcementMode?
    /// What the decision is about, for messages: `Pod "x"`, `Deployment "y" pod template`.
    public var subject: String
    /// Every violation not lifted by an exemption, in every mode.
    public var violations: [Violation]
    /// Violations an exemption lifted, with the exemption's reason.
    public var exemptions: [AppliedExemption]
    /// Every container image the pod spec references, in container order.
    public var images: [String]
    /// The artifacts the pod mounts as volumes (image volumes, image-pulling CSI volumes), in spec order.
    public var volumeImages: [VolumeImage] = []
    /// The storage classes the object's claims end up with (a PVC's, a StatefulSet's claim templates', ephemeral
    /// volumes'; the cluster default where the policy names it), in order, for the audit line.
    public var storageClasses: [String] = []
    /// The pod's distinct volume source types, in spec order, for the audit line.
    public var volumeTypes: [String] = []
    /// SHA-256 (hex) of the policy text that made the decision.
    public var policySHA256: String
    /// The signature evidence the decision used, per verified image, for the audit line.
    public var signatures: [SignatureEvidence] = []
    /// Set when the class in the request path and the policy's `namespaceClasses` disagreed: what each said and
    /// which class decided (the stricter one). The audit line and a warning carry it.
    public var classConflict: String?
    /// For an UPDATE with its old object: what it was judged on (the fields it changes that a rule reads), or why it
    /// was allowed without judgement (`unchanged placement and images: …`). The audit line's `reason` carries it.
    public var updateReason: String?

    public init(
        allowed: Bool, evaluated: Bool, className: String?, classMode: EnforcementMode?, subject: String,
        violations: [Violation], exemptions: [AppliedExemption], images: [String], policySHA256: String
    ) {
        self.allowed = allowed
        self.evaluated = evaluated
        self.className = className
        self.classMode = classMode
        self.subject = subject
        self.violations = violations
        self.exemptions = exemptions
        self.images = images
        self.policySHA256 = policySHA256
    }

    /// Container images, then volume images: everything the pod pulls.
    public var allImages: [String] { images + volumeImages.map(\.reference) }

    /// The rule IDs that were violated, sorted and without repeats.
    public var ruleIDs: [RuleID] { Array(Set(violations.map(\.ruleID))).sorted() }

    /// The violations that deny the request.
    public var denials: [Violation] { violations.filter { $0.mode == .enforce } }

    /// The `warn`-mode violations as the response's warnings: single-line, at most 120 characters each.
    public var warnings: [String] { violations.filter { $0.mode == .warn }.map { Self.warning($0.text) } }
}

/// One broken rule.
public struct Violation: Sendable, Equatable {
    public var ruleID: RuleID
    /// What is wrong and what would be allowed, naming the object, field and value.
    public var message: String
    public var mode: EnforcementMode
    /// JSON path of the offending field in the object, e.g. `spec.template.spec.containers[0].image`.
    public var path: String

    public init(ruleID: RuleID, message: String, mode: EnforcementMode, path: String) {
        self.ruleID = ruleID
        self.message = message
        self.mode = mode
        self.path = path
    }

    /// `[rule-id] message`, the form every person-facing output uses.
    public var text: String { "[\(ruleID.rawValue)] \(message)" }
}

/// A violation an exemption lifted, recorded so the audit log shows every exception that was used.
public struct AppliedExemption: Sendable, Equatable {
    public var ruleID: RuleID
    /// What the exemption matched (``Exemption/subjectDescription``).
    public var subject: String
    public var reason: String
    /// The message of the violation that was lifted.
    public var message: String

    public init(ruleID: RuleID, subject: String, reason: String, message: String) {
        self.ruleID = ruleID
        self.subject = subject
        self.reason = reason
        self.message = message
    }
}

/// An artifact a pod mounts as a volume (a model, a dataset), named by the volume that mounts it.
public struct VolumeImage: Sendable, Equatable {
    public var volume: String
    public var reference: String

    public init(volume: String, reference: String) {
        self.volume = volume
        self.reference = reference
    }
}
