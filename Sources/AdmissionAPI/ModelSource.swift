/// Where a KServe predictor loads its model from: `storageUri` of `spec.predictor.model` (or of a framework
/// field such as `spec.predictor.sklearn`), or a `storage` reference to the cluster's storage configuration.
public struct ModelSource: Sendable, Equatable {
    /// The URI as written (`s3://…`, `hf://…`, `oci://…`); nil for a `storage` reference without a URI, whose
    /// bucket lives in a Secret the admission request does not carry.
    public var uri: String?
    /// JSON path of the field, e.g. `spec.predictor.model.storageUri`.
    public var path: String

    public init(uri: String?, path: String) {
        self.uri = uri
        self.path = path
    }
}
