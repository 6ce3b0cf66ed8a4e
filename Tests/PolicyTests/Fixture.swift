import AdmissionAPI
import Foundation
import Policy
import Testing

/// A JSON object as the tests build it: a minimal valid pod, then one tweak per case.
typealias JSONObject = [String: Any]

/// Builders for the objects and reviews the tests send through the real decoder and engine.
enum Fixture {
    static let digest = "sha256:" + String(repeating: "a", count: 64)
    static let image = "registry.internal/ephi/app@" + digest

    static let policyText: String = {
        let url = Bundle.module.url(forResource: "policy", withExtension: "yaml", subdirectory: "Fixtures")!
        return try! String(contentsOf: url, encoding: .utf8)
    }()

    static let engine = PolicyEngine(policy: try! PolicyDocument.parse(yaml: policyText), policySHA256: "test-sha")

    /// A clock before the fixture policy's `legacy` exemption expired, and one after.
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let longAgo = Date(timeIntervalSince1970: 1_500_000_000)

    /// The smallest pod class `ephi` allows: one pinned image from its registry, confined to zone eu-a.
    static func pod() -> JSONObject {
        [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": "p", "namespace": "clinical"],
            "spec": [
                "containers": [["name": "main", "image": image]],
                "nodeSelector": ["topology.kubernetes.io/zone": "eu-a"],
            ],
        ]
    }

    /// The smallest GPU pod class `ephi` allows: one GPU, the GPU toleration, its GPU pool.
    static func gpuPod() -> JSONObject {
        var pod = pod()
        pod.set("spec.containers.0.resources.limits", ["nvidia.com/gpu": "1"])
        pod.set("spec.tolerations", [["key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"]])
        pod.set("spec.nodeSelector.pool", "ephi-gpu")
        return pod
    }

    /// `pod`'s spec wrapped as the pod template of a workload of `kind`.
    static func workload(_ kind: String, from pod: JSONObject) -> JSONObject {
        let template: JSONObject = ["metadata": ["labels": ["app": "x"]], "spec": pod["spec"]!]
        let apiVersion = ["Job", "CronJob"].contains(kind) ? "batch/v1" : "apps/v1"
        let spec: JSONObject =
            kind == "CronJob"
            ? ["schedule": "0 * * * *", "jobTemplate": ["spec": ["template": template]]]
            : ["selector": ["matchLabels": ["app": "x"]], "template": template]
        return [
            "apiVersion": apiVersion, "kind": kind, "metadata": ["name": "w", "namespace": "clinical"], "spec": spec,
        ]
    }

    static func review(
        _ object: JSONObject?, oldObject: JSONObject? = nil, operation: String = "CREATE", subResource: String? = nil,
        namespace: String = "clinical", username: String = "alice", groups: [String] = ["dev"]
    ) -> [UInt8] {
        let kind = object?["kind"] as? String ?? oldObject?["kind"] as? String ?? "Pod"
        let apiVersion = object?["apiVersion"] as? String ?? "v1"
        let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
        var request: JSONObject = [
            "uid": "uid-1", "kind": ["group": group, "version": "v1", "kind": kind],
            "resource": ["group": group, "version": "v1", "resource": kind.lowercased() + "s"],
            "namespace": namespace, "name": "p", "operation": operation,
            "userInfo": ["username": username, "groups": groups],
        ]
        if let object { request["object"] = object }
        if let oldObject { request["oldObject"] = oldObject }
        if let subResource { request["subResource"] = subResource }
        let review: JSONObject = ["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request]
        return Array(try! JSONSerialization.data(withJSONObject: review, options: [.sortedKeys]))
    }

    /// The namespace a review for `className` comes from unless a test names one: `clinical`, which the fixture
    /// policy maps to `ephi`, for `ephi` and plain `/validate`; for any other class an unmapped namespace, so the path
    /// alone decides (a mapped namespace on another class's path is decided in the stricter of the two).
    static func namespace(for className: String?) -> String {
        className.map { $0 == "ephi" ? "clinical" : "team-\($0)" } ?? "clinical"
    }

    /// Decodes the review with the webhook's decoder and decides it.
    static func decide(
        _ object: JSONObject, className: String? = "ephi", operation: String = "CREATE", oldObject: JSONObject? = nil,
        subResource: String? = nil, namespace: String? = nil, now: Date = Fixture.now, username: String = "alice",
        groups: [String] = ["dev"], engine: PolicyEngine = Fixture.engine
    ) throws -> Decision {
        let namespace = namespace ?? Self.namespace(for: className)
        let bytes = review(
            object, oldObject: oldObject, operation: operation, subResource: subResource, namespace: namespace,
            username: username, groups: groups)
        let request = try AdmissionReviewCodec.decodeRequest(bytes)
        return engine.evaluate(request, classFromPath: className, now: now)
    }
}

extension Dictionary where Key == String, Value == Any {
    /// Sets (or with nil removes) the value at a dotted path; numeric components index arrays.
    mutating func set(_ path: String, _ value: Any?) {
        let parts = path.split(separator: ".")[...]
        self = Self.setting(self, parts, value) as? JSONObject ?? [:]
    }

    private static func setting(_ node: Any?, _ parts: ArraySlice<Substring>, _ value: Any?) -> Any? {
        guard let head = parts.first else { return value }
        if let index = Int(head) {
            var array = node as? [Any] ?? []
            while array.count <= index { array.append(JSONObject()) }
            if let new = setting(array[index], parts.dropFirst(), value) {
                array[index] = new
            } else {
                array.remove(at: index)
            }
            return array
        }
        var object = node as? JSONObject ?? [:]
        object[String(head)] = setting(object[String(head)], parts.dropFirst(), value)
        return object
    }
}

/// One tweak of a fixture and the rules it must break (empty: allowed).
struct PodCase: Sendable, CustomTestStringConvertible {
    let name: String
    let tweak: @Sendable (inout JSONObject) -> Void
    let rules: Set<RuleID>

    init(_ name: String, _ rules: Set<RuleID>, _ tweak: @escaping @Sendable (inout JSONObject) -> Void) {
        self.name = name
        self.rules = rules
        self.tweak = tweak
    }

    var testDescription: String { name }
}

extension PodCase {
    /// Tweaks `fixture`, decides it in `className` with the fixture engine, and expects exactly ``rules``.
    func expectRules(
        on fixture: JSONObject, className: String = "ephi", sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var object = fixture
        tweak(&object)
        let decision = try Fixture.decide(object, className: className)
        #expect(Set(decision.ruleIDs) == rules, "\(decision.violations.map(\.text))", sourceLocation: sourceLocation)
    }
}
