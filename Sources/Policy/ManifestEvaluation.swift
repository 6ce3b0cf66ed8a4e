import AdmissionAPI
import Foundation

/// What `portcullis evaluate` does, without the I/O: run every manifest or AdmissionReview in the input
/// through the engine, one row per object, and derive the exit status a CI job acts on.
public struct ManifestEvaluation: Sendable {
    /// The outcome for one document of the input.
    public struct Row: Sendable {
        /// 1-based position of the object in the input (items of a list count one by one).
        public var document: Int
        public var kind: String
        public var namespace: String
        public var name: String
        /// The decision, or nil when the document could not be read.
        public var decision: Decision?
        /// Why the document could not be read.
        public var error: String?

        /// `allow`, `warn` (allowed with warnings), `deny`, `skip` (not in scope) or `error`.
        public var verdict: String {
            guard let decision else { return "error" }
            if !decision.evaluated { return "skip" }
            if !decision.allowed { return "deny" }
            return decision.violations.contains { $0.mode == .warn } ? "warn" : "allow"
        }
    }

    public var rows: [Row]

    /// 0 when every object is allowed, 1 when any is denied, 2 when any input could not be read.
    public var exitCode: Int32 {
        if rows.contains(where: { $0.decision == nil }) { return 2 }
        return rows.contains { $0.decision?.allowed == false } ? 1 : 0
    }

    /// Evaluates every document of `input` (multi-document YAML, or one JSON object; manifests or
    /// AdmissionReviews) in class `className` (nil: resolve by namespace, as plain `/validate` does). Manifests are
    /// requested by `requester` (no one by default, so exemptions by user, group or requesting service account never
    /// apply); an AdmissionReview keeps its own `userInfo`.
    public static func run(
        input: [UInt8], engine: PolicyEngine, className: String?, now: Date, requester: UserInfo = UserInfo()
    ) -> ManifestEvaluation {
        let documents: [[UInt8]]
        do {
            documents = try ManifestDocuments.split(input)
        } catch {
            return ManifestEvaluation(
                rows: [Row(document: 1, kind: "", namespace: "", name: "", decision: nil, error: error.message)])
        }
        if documents.isEmpty {
            return ManifestEvaluation(
                rows: [
                    Row(
                        document: 1, kind: "", namespace: "", name: "", decision: nil,
                        error: "the input holds no documents")
                ])
        }
        var rows: [Row] = []
        var pending = documents[...]
        while let json = pending.popFirst() {
            var row = Row(document: rows.count + 1, kind: "", namespace: "", name: "", decision: nil, error: nil)
            do {
                // A list (`kubectl get -o yaml` output) is evaluated item by item, never skipped as a whole.
                if try KubernetesObject.decode(json: json).kind.hasSuffix("List") {
                    pending = try KubernetesObject.listItems(json: json)[...] + pending
                    continue
                }
                let request = try request(from: json, document: rows.count + 1, requester: requester)
                row.kind = request.kind.kind
                row.namespace = request.namespace
                row.name = request.object?.metadata.name ?? request.name
                row.decision = engine.evaluate(request, classFromPath: className, now: now)
            } catch {
                row.error = error.message
            }
            rows.append(row)
        }
        return ManifestEvaluation(rows: rows)
    }

    /// An AdmissionReview's request as is; a manifest as the CREATE request the API server would send.
    static func request(
        from json: [UInt8], document: Int, requester: UserInfo
    ) throws(AdmissionDecodingError) -> AdmissionRequest {
        let object = try KubernetesObject.decode(json: json)
        if object.kind == AdmissionReviewCodec.kind {
            return try AdmissionReviewCodec.decodeRequest(json)
        }
        guard !object.kind.isEmpty, !object.apiVersion.isEmpty else {
            throw AdmissionDecodingError("the document has no apiVersion and kind; it is not a Kubernetes object")
        }
        let parts = object.apiVersion.split(separator: "/", maxSplits: 1).map(String.init)
        let kind = GroupVersionKind(
            group: parts.count == 2 ? parts[0] : "", version: parts.last ?? "", kind: object.kind)
        let namespace = object.metadata.namespace.isEmpty ? "default" : object.metadata.namespace
        return AdmissionRequest(
            uid: "evaluate-\(document)", kind: kind, requestKind: kind, namespace: namespace,
            name: object.metadata.name, operation: "CREATE", userInfo: requester, object: object)
    }
}
