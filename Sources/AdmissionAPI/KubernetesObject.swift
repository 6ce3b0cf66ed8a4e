/// The object of an admission request, decoded as far as Portcullis needs: identity and the pod spec,
/// wherever the kind keeps it (`spec`, `spec.template.spec`, `spec.jobTemplate.spec.template.spec`, or KServe's
/// `spec.predictor`).
public struct KubernetesObject: Sendable, Equatable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    /// `spec` read as a pod spec (meaningful for a Pod).
    public var spec: PodSpec?
    /// `spec.template.spec` (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController).
    public var templateSpec: PodSpec?
    /// `spec.jobTemplate.spec.template.spec` (CronJob).
    public var jobTemplateSpec: PodSpec?
    /// `spec.predictor` read as a pod spec (KServe InferenceService).
    public var predictorSpec: PodSpec?
    /// The models `spec.predictor` loads (KServe InferenceService).
    public var modelSources: [ModelSource] = []
    /// `spec.devices.requests` (ResourceClaim).
    public var claimRequests: [DeviceRequest]?
    /// `spec.spec.devices.requests` (ResourceClaimTemplate).
    public var claimTemplateRequests: [DeviceRequest]?
    /// `spec.storageClassName` (PersistentVolumeClaim): nil when absent (the cluster default), "" for none.
    public var storageClassName: String?
    /// `spec.volumeClaimTemplates` (StatefulSet): the claims each replica gets.
    public var volumeClaimTemplates: [ClaimTemplate] = []
    /// `target.name` (Binding): the node a pod is bound to.
    public var bindingTarget: String?
    /// The bytes of `spec`, for kinds the policy names with the paths of their pod templates
    /// (``podTemplates(at:)``); the decoder cannot know those paths, nor the kind before it reads `spec`.
    public var rawSpec: [UInt8]?

    public init(
        apiVersion: String = "v1", kind: String, metadata: ObjectMeta = ObjectMeta(), spec: PodSpec? = nil,
        templateSpec: PodSpec? = nil, jobTemplateSpec: PodSpec? = nil, claimRequests: [DeviceRequest]? = nil,
        claimTemplateRequests: [DeviceRequest]? = nil, bindingTarget: String? = nil
    ) {
        self.claimRequests = claimRequests
        self.claimTemplateRequests = claimTemplateRequests
        self.bindingTarget = bindingTarget
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.spec = spec
        self.templateSpec = templateSpec
        self.jobTemplateSpec = jobTemplateSpec
    }

    /// The device requests of a DRA claim or claim template of kind `kind` and their JSON path, or nil when
    /// that kind holds none. A claim without `devices` requests nothing: empty, not nil.
    public func deviceRequests(forKind kind: String) -> (requests: [DeviceRequest], path: String)? {
        switch kind {
        case "ResourceClaim": (claimRequests ?? [], "spec.devices.requests")
        case "ResourceClaimTemplate": (claimTemplateRequests ?? [], "spec.spec.devices.requests")
        default: nil
        }
    }

    /// The pod spec of a workload of kind `kind` and its JSON path, or nil when that kind holds none.
    public func podSpec(forKind kind: String) -> (spec: PodSpec, path: String)? {
        switch kind {
        case "Pod": spec.map { ($0, "spec") }
        case "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController":
            templateSpec.map { ($0, "spec.template.spec") }
        case "CronJob": jobTemplateSpec.map { ($0, "spec.jobTemplate.spec.template.spec") }
        case "InferenceService": predictorSpec.map { ($0, "spec.predictor") }
        case "ServingRuntime": spec.map { ($0, "spec") }
        default: nil
        }
    }
}

/// The `metadata` fields Portcullis reads.
public struct ObjectMeta: Sendable, Equatable {
    public var name: String
    public var generateName: String
    public var namespace: String
    /// The bytes of `metadata.labels`, kept undecoded: only a label-selector exemption reads them, and only for a
    /// request with a finding, while nearly every pod carries a dozen labels.
    var labelsJSON: [UInt8]?

    public init(name: String = "", generateName: String = "", namespace: String = "") {
        self.name = name
        self.generateName = generateName
        self.namespace = namespace
    }

    /// `metadata.labels`, which exemptions may select on (whoever may create the object chose them). Labels that are
    /// not a map of strings (the API server never sends such) read as none, so no label exemption applies.
    public var labels: [String: String] {
        guard let labelsJSON else { return [:] }
        return
            (try? JSONReader.read(labelsJSON) { reader throws(AdmissionDecodingError) in try reader.readStringMap() })
            ?? [:]
    }
}
