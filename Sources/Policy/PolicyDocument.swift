import Foundation

/// A parsed, validated policy file (see docs/POLICY.md for every field).
///
/// Parsing is the only place a policy can be wrong: once a `PolicyDocument` exists, every class it names
/// exists, every registry entry is a valid prefix and every rule override names a real rule.
public struct PolicyDocument: Sendable, Equatable {
    /// The class used when neither the request path nor ``namespaceClasses`` names one; nil means such
    /// requests are denied (fail closed).
    public var defaultClass: String?
    /// Namespace → class, for requests that arrive on `/validate` without a class in the path.
    public var namespaceClasses: [String: String]
    public var gpu: GPUSettings
    public var classes: [String: DataClass]
    public var exemptions: [Exemption]
    /// Authorities, registries and cache for classes that require signatures.
    public var signatures: SignatureTrust
    /// CSI drivers that mount an image (a model, a dataset) as an inline volume → the `volumeAttributes` key
    /// that names it; such volumes are judged as images.
    public var imageVolumeDrivers: [String: String]

    /// Image-populating CSI drivers in use today, with the attribute that names the image.
    public static let defaultImageVolumeDrivers = ["csi-image.warm-metal.tech": "image"]

    public init(
        defaultClass: String? = nil, namespaceClasses: [String: String] = [:], gpu: GPUSettings = GPUSettings(),
        classes: [String: DataClass], exemptions: [Exemption] = [], signatures: SignatureTrust = SignatureTrust(),
        imageVolumeDrivers: [String: String] = PolicyDocument.defaultImageVolumeDrivers
    ) {
        self.imageVolumeDrivers = imageVolumeDrivers
        self.signatures = signatures
        self.defaultClass = defaultClass
        self.namespaceClasses = namespaceClasses
        self.gpu = gpu
        self.classes = classes
        self.exemptions = exemptions
    }

    /// The class names, sorted, as denial messages list them.
    public var classNames: [String] { classes.keys.sorted() }
}

/// A data class: where its pods may pull from, run, and which nodes they may tolerate.
public struct DataClass: Sendable, Equatable {
    public var name: String
    public var mode: EnforcementMode
    /// Per-rule overrides of ``mode``.
    public var ruleModes: [RuleID: EnforcementMode]
    /// Allowed registries: a host (`registry.internal`) or a host and path prefix (`registry.internal/ephi`),
    /// matched against the normalised repository at a path-segment boundary.
    public var registries: [String]
    public var requireDigest: Bool
    /// Allowed zones (`topology.kubernetes.io/zone` values); empty means any zone.
    public var zones: [String]
    /// Allowed regions (`topology.kubernetes.io/region` values); empty means any region.
    public var regions: [String]
    /// GPU node pools (values of the node-pool label) this class may use; empty means no GPUs at all.
    public var gpuNodePools: [String]
    /// Taints on this class's dedicated nodes; its pods may tolerate them, other classes' pods may not.
    public var dedicatedTaints: [Taint]
    /// Whether images must carry a verified signature; the webhook verifies them before the pure checks run.
    public var requireSignatures: Bool
    /// Which authorities count and which promotion annotations apply; required when ``requireSignatures`` is set.
    public var signatures: SignatureRequirement?
    /// CSI drivers the class's pods may use for inline volumes; nil means any.
    public var inlineCSIDrivers: [String]?
    /// Where model URIs may point; nil means any URI (`oci://` models still follow the image rules).
    public var models: ModelSources?

    public init(
        name: String, mode: EnforcementMode = .enforce, ruleModes: [RuleID: EnforcementMode] = [:],
        registries: [String], requireDigest: Bool = false, zones: [String] = [], regions: [String] = [],
        gpuNodePools: [String] = [], dedicatedTaints: [Taint] = [], requireSignatures: Bool = false,
        signatures: SignatureRequirement? = nil
    ) {
        self.signatures = signatures
        self.name = name
        self.mode = mode
        self.ruleModes = ruleModes
        self.registries = registries
        self.requireDigest = requireDigest
        self.zones = zones
        self.regions = regions
        self.gpuNodePools = gpuNodePools
        self.dedicatedTaints = dedicatedTaints
        self.requireSignatures = requireSignatures
    }

    /// The mode a violation of `rule` has in this class.
    public func mode(for rule: RuleID) -> EnforcementMode { ruleModes[rule] ?? mode }

    /// A class runs on dedicated pools when it has GPU pools of its own or dedicated taints; such a class's
    /// pods may not carry blanket tolerations.
    public var hasDedicatedPools: Bool { !gpuNodePools.isEmpty || !dedicatedTaints.isEmpty }

    /// A class with zones, regions or dedicated pools depends on the scheduler to place its pods.
    var dependsOnScheduler: Bool { !zones.isEmpty || !regions.isEmpty || hasDedicatedPools }
}

/// Cluster-wide GPU settings: what counts as a GPU, how GPU nodes are tainted and how pools are labelled.
public struct GPUSettings: Sendable, Equatable {
    /// Resource names that count as GPUs; an entry ending in `*` is a prefix (`nvidia.com/mig-*`).
    public var resources: [String]
    /// The taints on every GPU node.
    public var taints: [Taint]
    /// The node label whose value names the node pool (GKE, EKS, AKS or a custom label).
    public var nodePoolLabel: String
    /// The cluster runs the `ExtendedResourceToleration` admission plugin, which adds the GPU toleration to
    /// pods before validating webhooks run, but not to workload templates: templates are then not denied
    /// for lacking it.
    public var extendedResourceToleration: Bool

    public static let defaultResources = [
        "nvidia.com/gpu", "amd.com/gpu", "gpu.intel.com/i915", "gpu.intel.com/xe", "nvidia.com/mig-*",
    ]

    public init(
        resources: [String] = GPUSettings.defaultResources,
        taints: [Taint] = [Taint(key: "nvidia.com/gpu", value: nil, effect: "NoSchedule")],
        nodePoolLabel: String = "cloud.google.com/gke-nodepool", extendedResourceToleration: Bool = false
    ) {
        self.resources = resources
        self.taints = taints
        self.nodePoolLabel = nodePoolLabel
        self.extendedResourceToleration = extendedResourceToleration
    }

    /// True when `resource` names a GPU.
    public func isGPU(_ resource: String) -> Bool { Self.resource(resource, matches: resources) }

    /// True when `resource` equals an entry of `entries`, or starts with an entry ending in `*`.
    static func resource(_ resource: String, matches entries: [String]) -> Bool {
        entries.contains { entry in
            entry.utf8.last == UInt8(ascii: "*") ? resource.utf8.starts(with: entry.utf8.dropLast()) : resource == entry
        }
    }
}

/// A node taint. A nil ``value`` stands for "whatever value the nodes carry": a pod must then tolerate
/// the key with `Exists` to be sure of tolerating it, and any toleration of the key may tolerate it.
public struct Taint: Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var value: String?
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    public var effect: String
    /// GPU taints only: the GPU resources whose nodes carry this taint (entries as in
    /// ``GPUSettings/resources``), so an NVIDIA pod need not tolerate the AMD nodes' taint in a mixed
    /// fleet. Empty: the nodes of every GPU resource carry it.
    public var resources: [String]

    public init(key: String, value: String? = nil, effect: String, resources: [String] = []) {
        self.key = key
        self.value = value
        self.effect = effect
        self.resources = resources
    }

    /// `key=value:Effect`, as kubectl prints taints.
    public var description: String { "\(key)\(value.map { "=\($0)" } ?? ""):\(effect)" }
}

/// An exception to the policy, for a namespace or an image repository, always with a reason that every
/// decision it affects records.
public struct Exemption: Sendable, Equatable {
    /// What the exemption covers.
    public enum Subject: Sendable, Equatable, CustomStringConvertible {
        case namespace(String)
        /// A normalised repository (`docker.io/nvidia/dcgm-exporter`), matched regardless of tag and digest.
        case image(String)

        public var description: String {
            switch self {
            case .namespace(let name): "namespace \(name)"
            case .image(let repository): "image \(repository)"
            }
        }
    }

    public var subject: Subject
    public var reason: String
    /// The rules it lifts; empty means all rules.
    public var rules: [RuleID]
    /// The classes it applies in; empty means all classes.
    public var classes: [String]
    /// After this instant the exemption no longer applies.
    public var expires: Date?

    public init(subject: Subject, reason: String, rules: [RuleID] = [], classes: [String] = [], expires: Date? = nil) {
        self.subject = subject
        self.reason = reason
        self.rules = rules
        self.classes = classes
        self.expires = expires
    }
}
