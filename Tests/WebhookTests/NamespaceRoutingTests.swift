import Foundation
import Policy
import Testing
import Yams

/// Where the API server sends a pod create in each kind of namespace, worked out the way the API server does it:
/// from the `namespaceSelector` of every webhook in the committed `deploy/base/validatingwebhookconfiguration.yaml`
/// (which `scripts/validate-manifests.sh` keeps equal to `portcullis manifests` for `deploy/policy.yaml`), then
/// the class Portcullis resolves from the webhook's path. A namespace the selectors miss is never checked at all.
@Suite struct NamespaceRoutingTests {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    private static let key = "portcullis.io/data-class"

    /// A namespace as the API server sees it: its name is also the `kubernetes.io/metadata.name` label.
    struct Namespace: CustomStringConvertible {
        var name: String
        var labels: [String: String] = [:]
        var description: String { "\(name) \(labels)" }
        var allLabels: [String: String] { labels.merging(["kubernetes.io/metadata.name": name]) { $1 } }
    }

    static func shippedPolicy() throws -> PolicyDocument {
        try PolicyDocument.parse(
            yaml: String(contentsOf: repository.appendingPathComponent("deploy/policy.yaml"), encoding: .utf8))
    }

    static func committedConfiguration() throws -> String {
        try String(
            contentsOf: repository.appendingPathComponent("deploy/base/validatingwebhookconfiguration.yaml"),
            encoding: .utf8)
    }

    /// The paths of the webhooks whose `namespaceSelector` matches `namespace`.
    static func routes(of namespace: Namespace, in yaml: String) throws -> [String] {
        var paths: [String] = []
        for case let object as [String: Any] in try Yams.load_all(yaml: yaml)
        where object["kind"] as? String == "ValidatingWebhookConfiguration" {
            for case let hook as [String: Any] in object["webhooks"] as? [Any] ?? [] {
                let selector = hook["namespaceSelector"] as? [String: Any] ?? [:]
                guard try LabelSelector(selector).matches(namespace.allLabels) else { continue }
                let service = (hook["clientConfig"] as? [String: Any])?["service"] as? [String: Any]
                paths.append(try #require(service?["path"] as? String))
            }
        }
        return paths
    }

    /// The class Portcullis applies for a request arriving on `path` from `namespace`, or nil when it denies for
    /// want of one (`unknown-class`).
    static func resolvedClass(path: String, namespace: String, policy: PolicyDocument) -> String? {
        let classFromPath = path.hasPrefix("/validate/") ? String(path.dropFirst("/validate/".count)) : nil
        switch PolicyEngine(policy: policy, policySHA256: "").resolveClass(
            classFromPath: classFromPath, namespace: namespace)
        {
        case .resolved(let dataClass): return dataClass.name
        case .unresolved: return nil
        }
    }

    /// Every namespace the shipped policy cares about reaches exactly one webhook, and through it its class: a
    /// mapped namespace by its name whatever its label says, a labelled one by its label, any other one the
    /// `defaultClass`. Portcullis' own namespace and `kube-system` reach none.
    @Test(arguments: [
        (Namespace(name: "clinical-nlp"), "ephi"),
        (Namespace(name: "clinical-nlp", labels: [key: "ephi"]), "ephi"),
        (Namespace(name: "clinical-nlp", labels: [key: "public"]), "ephi"),
        (Namespace(name: "radiology-ml", labels: ["portcullis.dev/data-class": "ephi"]), "ephi"),
        (Namespace(name: "payments-fraud", labels: [key: "personal-data"]), "cardholder-data"),
        (Namespace(name: "finance-forecasting"), "financial-reporting"),
        (Namespace(name: "team-search"), "public"),
        (Namespace(name: "team-search", labels: [key: "personal-data"]), "personal-data"),
        (Namespace(name: "team-search", labels: [key: "ephl"]), "public"),
        (Namespace(name: "team-search", labels: ["portcullis.dev/data-class": "ephi"]), "public"),
    ])
    func shippedConfigurationRoutesEveryNamespaceToItsClass(namespace: Namespace, expected: String) throws {
        let policy = try Self.shippedPolicy()
        let paths = try Self.routes(of: namespace, in: Self.committedConfiguration())
        try #require(paths.count == 1, "\(namespace) reaches \(paths.count) webhooks: \(paths)")
        #expect(Self.resolvedClass(path: paths[0], namespace: namespace.name, policy: policy) == expected)
    }

    @Test(arguments: ["kube-system", "portcullis"])
    func controlPlaneAndPortcullisAreNeverRouted(name: String) throws {
        for labels in [[:], [Self.key: "ephi"]] {
            #expect(try Self.routes(of: Namespace(name: name, labels: labels), in: Self.committedConfiguration()) == [])
        }
    }
}

/// A Kubernetes label selector (`matchLabels` and `matchExpressions`), evaluated as `k8s.io/apimachinery` does:
/// every requirement must hold; `NotIn` and `DoesNotExist` also hold when the key is absent.
struct LabelSelector {
    struct Requirement {
        var key: String
        var op: String
        var values: [String]
    }

    var requirements: [Requirement] = []

    init(_ selector: [String: Any]) throws {
        for (key, value) in selector["matchLabels"] as? [String: Any] ?? [:] {
            requirements.append(Requirement(key: key, op: "In", values: ["\(value)"]))
        }
        for case let expression as [String: Any] in selector["matchExpressions"] as? [Any] ?? [] {
            requirements.append(
                Requirement(
                    key: try #require(expression["key"] as? String),
                    op: try #require(expression["operator"] as? String),
                    values: (expression["values"] as? [Any] ?? []).map { "\($0)" }))
        }
    }

    func matches(_ labels: [String: String]) throws -> Bool {
        try requirements.allSatisfy { requirement in
            let value = labels[requirement.key]
            switch requirement.op {
            case "In": return value.map(requirement.values.contains) ?? false
            case "NotIn": return value.map { !requirement.values.contains($0) } ?? true
            case "Exists": return value != nil
            case "DoesNotExist": return value == nil
            default: throw SelectorError(operator: requirement.op)
            }
        }
    }

    struct SelectorError: Error { var `operator`: String }
}
