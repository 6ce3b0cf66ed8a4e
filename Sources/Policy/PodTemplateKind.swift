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

    public init(group: String, kind: String, resource: String? = nil, templates: [PodTemplatePath]) {
        self.group = group
        self.kind = kind
        self.resource = resource ?? kind.lowercased() + "s"
        self.templates = templates
    }
}
