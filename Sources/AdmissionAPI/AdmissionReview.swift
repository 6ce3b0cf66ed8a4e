/// An `admission.k8s.io/v1` AdmissionReview: the API server sends one with a ``request`` and expects one
/// back with a ``response`` (see ``AdmissionReviewCodec``).
public struct AdmissionReview: Sendable, Equatable {
    public var apiVersion: String
    public var kind: String
    public var request: AdmissionRequest?
    public var response: AdmissionResponse?

    public init(
        apiVersion: String = AdmissionReviewCodec.apiVersion, kind: String = AdmissionReviewCodec.kind,
        request: AdmissionRequest? = nil, response: AdmissionResponse? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.request = request
        self.response = response
    }
}

/// The part of an AdmissionRequest Portcullis reads. The object (and the old object of an UPDATE) is
/// decoded as far as the pod spec the checks need; everything else in it is validated and skipped.
public struct AdmissionRequest: Sendable, Equatable {
    public var uid: String
    public var kind: GroupVersionKind
    public var resource: GroupVersionResource
    public var subResource: String
    public var requestKind: GroupVersionKind?
    public var namespace: String
    public var name: String
    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    public var operation: String
    public var userInfo: UserInfo
    public var object: KubernetesObject?
    public var oldObject: KubernetesObject?
    public var dryRun: Bool
    /// The operation options (`CreateOptions`…), kept only as "present or not": no check reads them.
    public var options: Bool?

    public init(
        uid: String, kind: GroupVersionKind, resource: GroupVersionResource = GroupVersionResource(),
        subResource: String = "", requestKind: GroupVersionKind? = nil, namespace: String = "", name: String = "",
        operation: String, userInfo: UserInfo = UserInfo(), object: KubernetesObject? = nil,
        oldObject: KubernetesObject? = nil, dryRun: Bool = false, options: Bool? = nil
    ) {
        self.uid = uid
        self.kind = kind
        self.resource = resource
        self.subResource = subResource
        self.requestKind = requestKind
        self.namespace = namespace
        self.name = name
        self.operation = operation
        self.userInfo = userInfo
        self.object = object
        self.oldObject = oldObject
        self.dryRun = dryRun
        self.options = options
    }
}

/// A group, version and kind, e.g. `apps`/`v1`/`Deployment`; the core group is the empty string.
public struct GroupVersionKind: Sendable, Hashable {
    public var group: String
    public var version: String
    public var kind: String

    public init(group: String = "", version: String = "v1", kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }
}

/// A group, version and resource, e.g. `apps`/`v1`/`deployments`.
public struct GroupVersionResource: Sendable, Hashable {
    public var group: String
    public var version: String
    public var resource: String

    public init(group: String = "", version: String = "v1", resource: String = "") {
        self.group = group
        self.version = version
        self.resource = resource
    }
}

/// Who made the request, as the API server authenticated them; recorded in the audit log.
public struct UserInfo: Sendable, Equatable {
    public var username: String
    public var uid: String
    public var groups: [String]

    public init(username: String = "", uid: String = "", groups: [String] = []) {
        self.username = username
        self.uid = uid
        self.groups = groups
    }
}
