/// The pod-spec fields the checks read: containers of every kind, placement, tolerations and the volumes that
/// mount artifacts.
public struct PodSpec: Sendable, Equatable {
    public var containers: [Container]
    public var initContainers: [Container]
    public var ephemeralContainers: [Container]
    public var nodeSelector: [String: String]
    public var nodeName: String
    public var tolerations: [Toleration]
    /// `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`, or nil
    /// when there is no required node affinity. Preferred affinity is never read: it constrains nothing.
    public var requiredNodeAffinity: [NodeSelectorTerm]?
    /// The volumes that can bring an artifact in (image and inline CSI volumes); see ``Volume``.
    public var volumes: [Volume]
    /// `resourceClaims`: the Dynamic Resource Allocation claims the pod's containers may use, by name of a
    /// ResourceClaim or a ResourceClaimTemplate (what they allocate is in those objects, not here).
    public var resourceClaims: [PodResourceClaim]
    /// `schedulerName`; empty means the API server's default, `default-scheduler`.
    public var schedulerName: String
    /// `serviceAccountName`, or its deprecated alias `serviceAccount`; empty means the namespace's `default`.
    public var serviceAccountName: String = ""

    public init(
        containers: [Container] = [], initContainers: [Container] = [], ephemeralContainers: [Container] = [],
        nodeSelector: [String: String] = [:], nodeName: String = "", tolerations: [Toleration] = [],
        requiredNodeAffinity: [NodeSelectorTerm]? = nil, volumes: [Volume] = [],
        resourceClaims: [PodResourceClaim] = [], schedulerName: String = ""
    ) {
        self.containers = containers
        self.initContainers = initContainers
        self.ephemeralContainers = ephemeralContainers
        self.nodeSelector = nodeSelector
        self.nodeName = nodeName
        self.tolerations = tolerations
        self.requiredNodeAffinity = requiredNodeAffinity
        self.volumes = volumes
        self.resourceClaims = resourceClaims
        self.schedulerName = schedulerName
    }
}

/// One entry of a pod's `spec.resourceClaims`: the name containers refer to, and exactly one of the
/// ResourceClaim or ResourceClaimTemplate it comes from (both empty or both set is invalid, and kept as is
/// so the checks can judge it).
public struct PodResourceClaim: Sendable, Equatable {
    public var name: String
    public var resourceClaimName: String
    public var resourceClaimTemplateName: String

    public init(name: String, resourceClaimName: String = "", resourceClaimTemplateName: String = "") {
        self.name = name
        self.resourceClaimName = resourceClaimName
        self.resourceClaimTemplateName = resourceClaimTemplateName
    }
}

/// A container, init container or ephemeral container.
public struct Container: Sendable, Equatable {
    public var name: String
    public var image: String
    /// `resources.requests` as (resource name, quantity text) pairs in document order.
    public var requests: [(name: String, quantity: String)]
    /// `resources.limits` as (resource name, quantity text) pairs in document order.
    public var limits: [(name: String, quantity: String)]
    /// `restartPolicy`: `Always` on an init container makes it a sidecar.
    public var restartPolicy: String

    public init(
        name: String, image: String, requests: [(name: String, quantity: String)] = [],
        limits: [(name: String, quantity: String)] = [], restartPolicy: String = ""
    ) {
        self.name = name
        self.image = image
        self.requests = requests
        self.limits = limits
        self.restartPolicy = restartPolicy
    }

    public static func == (lhs: Container, rhs: Container) -> Bool {
        lhs.name == rhs.name && lhs.image == rhs.image && lhs.restartPolicy == rhs.restartPolicy
            && lhs.requests.elementsEqual(rhs.requests, by: ==) && lhs.limits.elementsEqual(rhs.limits, by: ==)
    }
}

/// A pod toleration, with the API's empty-string defaults kept as they are (empty operator means `Equal`,
/// empty effect means every effect): the policy engine applies Kubernetes' matching rules to them.
public struct Toleration: Sendable, Equatable {
    public var key: String
    public var `operator`: String
    public var value: String
    public var effect: String

    public init(key: String = "", operator: String = "", value: String = "", effect: String = "") {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
    }
}

/// One node selector term; terms are ORed, the expressions inside one term are ANDed.
public struct NodeSelectorTerm: Sendable, Equatable {
    public var matchExpressions: [NodeSelectorRequirement]
    /// `matchFields` (only `metadata.name` exists): they name nodes, never a zone or a pool.
    public var matchFields: [NodeSelectorRequirement]

    public init(matchExpressions: [NodeSelectorRequirement] = [], matchFields: [NodeSelectorRequirement] = []) {
        self.matchExpressions = matchExpressions
        self.matchFields = matchFields
    }
}

/// `key operator values`, e.g. `topology.kubernetes.io/zone In [europe-west4-a]`.
public struct NodeSelectorRequirement: Sendable, Equatable {
    public var key: String
    public var `operator`: String
    public var values: [String]

    public init(key: String, operator: String, values: [String] = []) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }
}
