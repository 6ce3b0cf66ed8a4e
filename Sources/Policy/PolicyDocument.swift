import AdmissionAPI
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
    /// What counts as an accelerator and how accelerator nodes are tainted and labelled (`accelerators:`,
    /// or the older spelling `gpu:`).
    public var accelerators: AcceleratorSettings
    public var classes: [String: DataClass]
    public var exemptions: [Exemption]
    /// Authorities, registries and cache for classes that require signatures.
    public var signatures: SignatureTrust
    /// CSI drivers that mount an image (a model, a dataset) as an inline volume → the `volumeAttributes` key
    /// that names it; such volumes are judged as images.
    public var imageVolumeDrivers: [String: String]
    /// Who may bind pods to nodes, and what the policy knows of nodes, for `pods/binding`.
    public var binding: BindingSettings
    /// The cluster's default StorageClass, which a claim without `storageClassName` gets; nil when the policy does
    /// not say (such claims are then denied in classes with `storageClasses`).
    public var defaultStorageClass: String?
    /// Kinds the policy names with the paths of their pod templates (AI training and serving CRDs); empty: only the
    /// built-in kinds are judged.
    public var workloadKinds: [PodTemplateKind] = []
    /// Zone → region, for zones the clouds' naming does not place (`zoneRegions:`).
    public var zoneRegions: [String: String] = [:]

    /// The region a zone lies in: ``zoneRegions``, else the clouds' naming (`europe-west4-a` → `europe-west4`,
    /// `us-east-1a` → `us-east-1`, `westeurope-1` → `westeurope`).
    public func region(ofZone zone: String) -> String {
        zoneRegions[zone] ?? Self.conventionalRegion(ofZone: zone)
    }

    /// The region by the clouds' naming alone: the name without its last `-x` (GCP, Azure), or without its last
    /// letter after a digit (AWS); otherwise the zone itself.
    public static func conventionalRegion(ofZone zone: String) -> String {
        if let dash = zone.lastIndex(of: "-"), zone.distance(from: dash, to: zone.endIndex) == 2 {
            return String(zone[..<dash])
        }
        if let last = zone.last, last.isLetter, zone.dropLast().last?.isNumber == true {
            return String(zone.dropLast())
        }
        return zone
    }

    /// The configured kind for an API group and kind, if the policy names it.
    public func workloadKind(group: String, kind: String) -> PodTemplateKind? {
        workloadKinds.first { $0.group == group && $0.kind == kind }
    }

    /// Image-populating CSI drivers in use today, with the attribute that names the image.
    public static let defaultImageVolumeDrivers = ["csi-image.warm-metal.tech": "image"]

    public init(
        defaultClass: String? = nil, namespaceClasses: [String: String] = [:],
        accelerators: AcceleratorSettings = AcceleratorSettings(),
        classes: [String: DataClass], exemptions: [Exemption] = [], signatures: SignatureTrust = SignatureTrust(),
        binding: BindingSettings = BindingSettings(),
        imageVolumeDrivers: [String: String] = PolicyDocument.defaultImageVolumeDrivers,
        defaultStorageClass: String? = nil
    ) {
        self.defaultStorageClass = defaultStorageClass
        self.imageVolumeDrivers = imageVolumeDrivers
        self.binding = binding
        self.signatures = signatures
        self.defaultClass = defaultClass
        self.namespaceClasses = namespaceClasses
        self.accelerators = accelerators
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
    /// Accelerator node pools (values of the node-pool label) this class may use; empty means no
    /// accelerators at all.
    public var acceleratorNodePools: [String]
    /// Taints on this class's dedicated nodes; its pods may tolerate them, other classes' pods may not.
    public var dedicatedTaints: [Taint]
    /// The node pools (values of the node-pool label) its pods using no accelerator must run on; empty: any pool
    /// no other class dedicates.
    public var nodePools: [String] = []
    /// Whether images must carry a verified signature; the webhook verifies them before the pure checks run.
    public var requireSignatures: Bool
    /// Which authorities count and which promotion annotations apply; required when ``requireSignatures`` is set.
    public var signatures: SignatureRequirement?
    /// CSI drivers the class's pods may use for inline volumes; nil means any.
    public var inlineCSIDrivers: [String]?
    /// Where model URIs may point; nil means any URI (`oci://` models still follow the image rules).
    public var models: ModelSources?
    /// StorageClasses its volume claims may use; nil means no storage rule.
    public var storageClasses: [String]?
    /// Volume source types (`hostPath`, `nfs`, …) its pods may not mount.
    public var forbidVolumeTypes: [String] = []
    /// Registries or registry paths (as in ``registries``) whose images are denied even where ``registries`` allows
    /// them.
    public var deniedRegistries: [String] = []
    /// Images denied by repository (every tag and digest), by repository and tag, or by repository and digest.
    public var deniedImages: [ImageReference] = []
    /// Tags denied (an entry ending in `*` is a prefix); an image without tag or digest has tag `latest`.
    public var deniedTags: [String] = []

    /// Whether any deny-list is set; without one the deny-list checks are not run at all.
    var hasDenyLists: Bool { !deniedRegistries.isEmpty || !deniedImages.isEmpty || !deniedTags.isEmpty }
    /// `spec.schedulerName` values its pods may use: any other scheduler is trusted with placement no more
    /// than `nodeName` is.
    public var schedulerNames: [String]
    /// DRA DeviceClasses its ResourceClaims and ResourceClaimTemplates may request (the policy file defaults it
    /// to `accelerators.deviceClasses` for a class with accelerator pools, to none otherwise).
    public var deviceClasses: [String]
    /// The most devices one claim or claim template may request, summed over its requests; nil: no limit.
    public var maxDevicesPerClaim: Int?
    /// Whether a claim may use `allocationMode: All` (every matching device of a node, however many).
    public var allowAllocationModeAll: Bool

    public init(
        name: String, mode: EnforcementMode = .enforce, ruleModes: [RuleID: EnforcementMode] = [:],
        registries: [String], requireDigest: Bool = false, zones: [String] = [], regions: [String] = [],
        acceleratorNodePools: [String] = [], dedicatedTaints: [Taint] = [], requireSignatures: Bool = false,
        signatures: SignatureRequirement? = nil, schedulerNames: [String] = [DataClass.defaultScheduler],
        deviceClasses: [String] = [], maxDevicesPerClaim: Int? = nil, allowAllocationModeAll: Bool = false
    ) {
        self.signatures = signatures
        self.name = name
        self.mode = mode
        self.ruleModes = ruleModes
        self.registries = registries
        self.requireDigest = requireDigest
        self.zones = zones
        self.regions = regions
        self.acceleratorNodePools = acceleratorNodePools
        self.dedicatedTaints = dedicatedTaints
        self.requireSignatures = requireSignatures
        self.schedulerNames = schedulerNames
        self.deviceClasses = deviceClasses
        self.maxDevicesPerClaim = maxDevicesPerClaim
        self.allowAllocationModeAll = allowAllocationModeAll
    }

    /// The scheduler the API server names when a pod names none.
    public static let defaultScheduler = "default-scheduler"

    /// The mode a violation of `rule` has in this class.
    public func mode(for rule: RuleID) -> EnforcementMode { ruleModes[rule] ?? mode }

    /// A class runs on dedicated pools when it has node pools or accelerator pools of its own or dedicated taints; such a
    /// class's pods may not carry blanket tolerations.
    public var hasDedicatedPools: Bool {
        !acceleratorNodePools.isEmpty || !nodePools.isEmpty || !dedicatedTaints.isEmpty
    }

    /// A class with zones, regions or dedicated pools depends on the scheduler to place its pods.
    var dependsOnScheduler: Bool { !zones.isEmpty || !regions.isEmpty || hasDedicatedPools }
}

/// Cluster-wide accelerator settings: what counts as an accelerator (GPU, TPU, Neuron, Gaudi…), how
/// accelerator nodes are tainted and how pools are labelled.
public struct AcceleratorSettings: Sendable, Equatable {
    /// Extended resource names that count as accelerators; an entry ending in `*` is a prefix (`nvidia.com/mig-*`).
    public var resources: [String]
    /// The taints on accelerator nodes.
    public var taints: [Taint]
    /// The node label whose value names the node pool (GKE, EKS, AKS or a custom label).
    public var nodePoolLabel: String
    /// The cluster runs the `ExtendedResourceToleration` admission plugin, which adds the accelerator
    /// toleration to pods that request an extended resource before validating webhooks run, but not to workload
    /// templates: templates are then not denied for lacking it.
    public var extendedResourceToleration: Bool
    /// DRA DeviceClass names that hand out accelerators (an entry ending in `*` is a prefix); a class with
    /// accelerator pools may request them unless it lists its own `deviceClasses`.
    public var deviceClasses: [String]

    /// The DeviceClasses the NVIDIA (GPUs and MIG slices), AMD, Intel (GPUs and Gaudi), Google TPU and AWS
    /// Neuron DRA drivers install.
    public static let defaultDeviceClasses = [
        "gpu.nvidia.com", "mig.nvidia.com", "gpu.amd.com", "gpu.intel.com", "gaudi.intel.com", "tpu.google.com",
        "neuron.aws.com",
    ]

    /// Every vendor's device-plugin resources, so a policy that does not list them still confines them: NVIDIA
    /// (whole GPUs, MIG slices, time-sliced `gpu.shared` and MPS shares), AMD, Intel (i915 and Xe), Google
    /// TPU, AWS Neuron (devices and cores) and Habana Gaudi.
    public static let defaultResources = [
        "nvidia.com/gpu", "nvidia.com/gpu.shared", "nvidia.com/mig-*", "nvidia.com/mps.gpu", "amd.com/gpu",
        "gpu.intel.com/i915", "gpu.intel.com/xe", "google.com/tpu", "aws.amazon.com/neuron*", "habana.ai/gaudi*",
    ]

    /// NVIDIA's device plugin and GKE taint NVIDIA nodes `nvidia.com/gpu`; scoped to NVIDIA's resources so
    /// a TPU or Neuron pod is not asked to tolerate it.
    public static let defaultTaints = [
        Taint(
            key: "nvidia.com/gpu", effect: "NoSchedule",
            resources: ["nvidia.com/gpu", "nvidia.com/gpu.shared", "nvidia.com/mig-*", "nvidia.com/mps.gpu"])
    ]

    public init(
        resources: [String] = AcceleratorSettings.defaultResources,
        taints: [Taint] = AcceleratorSettings.defaultTaints,
        nodePoolLabel: String = "cloud.google.com/gke-nodepool", extendedResourceToleration: Bool = false,
        deviceClasses: [String] = AcceleratorSettings.defaultDeviceClasses
    ) {
        self.resources = resources
        self.taints = taints
        self.nodePoolLabel = nodePoolLabel
        self.extendedResourceToleration = extendedResourceToleration
        self.deviceClasses = deviceClasses
    }

    /// True when `resource` names an accelerator.
    public func isAccelerator(_ resource: String) -> Bool {
        // Extended resources always carry a domain (`vendor.com/name`); `cpu`, `memory`, `ephemeral-storage` and
        // `hugepages-*` never do, and are most of what a container asks for.
        resource.utf8.contains(UInt8(ascii: "/")) && resource.isListed(in: resources)
    }
}

extension String {
    /// True when the string equals an entry of `entries`, or starts with an entry ending in `*` (resource names,
    /// DeviceClasses, denied tags).
    func isListed(in entries: [String]) -> Bool {
        entries.contains { entry in
            entry.utf8.last == UInt8(ascii: "*") ? utf8.starts(with: entry.utf8.dropLast()) : self == entry
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
    /// Accelerator taints only: the accelerator resources whose nodes carry this taint (entries as in
    /// ``AcceleratorSettings/resources``), so an NVIDIA pod need not tolerate the AMD nodes' taint in a mixed
    /// fleet. Empty: the nodes of every accelerator carry it.
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
