/// The stable identifier of each check. These strings appear in denial messages, audit lines, audit
/// annotations, metrics and per-rule mode overrides, so they never change once released.
public enum RuleID: String, Sendable, CaseIterable, Comparable {
    /// An image is not from a registry (or registry path) the class allows.
    case registryOrigin = "registry-origin"
    /// An image is not pinned by a `sha256` digest where the class requires it.
    case imageDigest = "image-digest"
    /// An image is from a registry or registry path the class denies (`deniedRegistries`), allowed or not.
    case deniedRegistry = "denied-registry"
    /// An image is one the class denies by repository, tag or digest (`deniedImages`).
    case deniedImage = "denied-image"
    /// An image carries a tag the class denies (`deniedTags`), `latest` included when it has neither tag nor digest.
    case deniedTag = "denied-tag"
    /// An image string is not a valid reference at all, so its origin cannot be known.
    case imageReference = "image-reference"
    /// A pod using an accelerator does not tolerate the accelerator taints that apply to it.
    case gpuToleration = "gpu-toleration"
    /// A pod using an accelerator is not confined to an accelerator node pool of its class.
    case gpuPool = "gpu-pool"
    /// A pod using no accelerator tolerates an accelerator taint (squatting on scarce, isolated nodes).
    case gpuSquatting = "gpu-squatting"
    /// A toleration with an empty key, which tolerates every taint, in a class with dedicated pools.
    case blanketToleration = "blanket-toleration"
    /// A toleration of another class's dedicated taint.
    case foreignTaint = "foreign-taint"
    /// A pod is not confined to its class's `nodePools`, or selects a pool another class dedicates.
    case nodePool = "node-pool"
    /// Some node the pod could be scheduled on lies outside the class's zones or regions.
    case zoneResidency = "zone-residency"
    /// `spec.nodeName` bypasses the scheduler, its taints and its affinity.
    case nodeName = "node-name"
    /// `spec.schedulerName` names a scheduler the class does not list: it may ignore taints and affinity.
    case schedulerName = "scheduler-name"
    /// A `pods/binding` puts a pod on a node outside its class's pools or zones, or on a node the policy
    /// does not know, by someone other than the scheduler.
    case nodeBinding = "node-binding"
    /// A ResourceClaim or ResourceClaimTemplate requests a DRA DeviceClass its class does not allow.
    case deviceClass = "device-class"
    /// A ResourceClaim or ResourceClaimTemplate requests more devices than its class allows, or
    /// `allocationMode: All` where the class does not allow it.
    case deviceCount = "device-count"
    /// An image in a class that requires signatures has no valid signature of an accepted authority.
    case imageSignature = "image-signature"
    /// An image's signatures could not be checked (registry down, slow, garbage); nothing is known either way.
    case signatureUnverifiable = "signature-unverifiable"
    /// The signed `approved-for` annotation does not list the class.
    case signatureApproval = "signature-approval"
    /// The signed `expires` annotation has passed (or is missing or unreadable).
    case signatureExpired = "signature-expired"
    /// The signed `review-by` annotation has passed (or is missing or unreadable).
    case signatureReviewOverdue = "signature-review-overdue"
    /// A required attestation (SLSA provenance, vulnerability scan, SBOM) is missing for the image's digest, or
    /// what it says does not meet the class's conditions.
    case imageAttestation = "image-attestation"
    /// An inline CSI volume uses a driver the class does not list.
    case csiDriver = "csi-driver"
    /// A model URI is not under one of the class's model sources, or not pinned where the class requires it.
    case modelSource = "model-source"
    /// A volume claim (PVC, StatefulSet claim template, generic ephemeral volume) names a storage class the class
    /// does not list, or leaves it to a cluster default the class does not list.
    case storageClass = "storage-class"
    /// A pod mounts a volume type the class forbids (`hostPath`, `nfs`, …).
    case volumeType = "volume-type"
    /// The data class named by the request path does not exist, or no class could be resolved.
    case unknownClass = "unknown-class"
    /// The request carries no object with a pod spec the checks could read.
    case unreadableObject = "unreadable-object"

    public static func < (lhs: RuleID, rhs: RuleID) -> Bool { lhs.rawValue < rhs.rawValue }
}
