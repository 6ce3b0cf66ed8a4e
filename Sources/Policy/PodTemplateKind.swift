import AdmissionAPI

/// A kind the policy names as holding pod templates (`workloadKinds:`), such as a KubeRay RayCluster or a JobSet:
/// Portcullis has no code for it, only the paths. Each template is judged like a Deployment's; kinds not listed
/// stay out of scope.
public struct PodTemplateKind: Sendable, Equatable {
    /// The API group (`ray.io`); never empty, as core kinds are built in.
    public var group: String
    /// The kind (`RayCluster`).
    public var kind: String
    /// The resource the webhook configuration names (`rayclusters`); defaults to the lower-cased kind plus `s`.
    public var resource: String
    /// Where its pod templates are (`spec.headGroupSpec.template`, `spec.workerGroupSpecs[*].template`).
    public var templates: [PodTemplatePath]
    /// Where it keeps partial pod templates that patch a template held elsewhere (a Kubeflow TrainJob's
    /// `podTemplateOverrides`, patching its runtime's): judged only by ``judgesPatches(_:)`` rules, on what they set.
    public var patches: [PodTemplatePath]
    /// Image fields outside any template (a TrainJob's `spec.trainer.image`), judged by the image rules.
    public var images: [PodTemplatePath]

    public init(
        group: String, kind: String, resource: String? = nil, templates: [PodTemplatePath],
        patches: [PodTemplatePath] = [], images: [PodTemplatePath] = []
    ) {
        self.group = group
        self.kind = kind
        self.resource = resource ?? kind.lowercased() + "s"
        self.templates = templates
        self.patches = patches
        self.images = images
    }

    /// Whether `rule` holds for a part of a pod as for the whole: it judges only what is set (an image, a toleration,
    /// a volume). Rules that fire on what is missing (no zone, no pool, no accelerator toleration) or that need the
    /// whole pod (whether it uses an accelerator) cannot judge a patch: its runtime's template and the pods decide.
    public static func judgesPatches(_ rule: RuleID) -> Bool {
        switch rule {
        case .registryOrigin, .imageDigest, .imageReference, .deniedRegistry, .deniedImage, .deniedTag, .imageSignature,
            .signatureUnverifiable, .signatureApproval, .signatureExpired, .signatureReviewOverdue, .imageAttestation,
            .blanketToleration, .foreignTaint, .csiDriver, .volumeType, .storageClass, .modelSource, .nodeName,
            .schedulerName:
            true
        case .gpuToleration, .gpuPool, .gpuSquatting, .nodePool, .zoneResidency, .nodeBinding, .deviceClass,
            .deviceCount, .unknownClass, .unreadableObject:
            false
        }
    }
}
