import Policy
import Testing
import Yams

@testable import Webhook

@Suite struct WebhookConfigurationRendererTests {
    private let classes = ["public", "personal-data", "ephi", "cardholder-data", "financial-reporting"]

    /// The rendered objects by kind; every one must be admissionregistration.k8s.io/v1.
    private func objects(_ yaml: String) throws -> [String: [String: Any]] {
        var byKind: [String: [String: Any]] = [:]
        for case let object as [String: Any] in try Yams.load_all(yaml: yaml) {
            #expect(object["apiVersion"] as? String == "admissionregistration.k8s.io/v1")
            let kind = try #require(object["kind"] as? String)
            #expect(byKind.updateValue(object, forKey: kind) == nil, "two \(kind) objects")
        }
        return byKind
    }

    private func webhooks(_ yaml: String) throws -> [[String: Any]] {
        let configuration = try #require(try objects(yaml)["ValidatingWebhookConfiguration"])
        return try #require(configuration["webhooks"] as? [[String: Any]])
    }

    @Test func oneFailClosedWebhookPerClassRoutedToItsPath() throws {
        let all = try webhooks(WebhookConfigurationRenderer().render(classNames: classes))
        // Besides one webhook per class label, one more catches the namespaces no label routes.
        #expect(all.count == classes.count + 1)
        let hooks = all.filter { $0["name"] as? String != "other.namespaces.portcullis.io" }
        #expect(hooks.count == classes.count)
        for hook in hooks {
            let name = try #require(hook["name"] as? String)
            let className = String(try #require(name.split(separator: ".").first))
            let service = try #require((hook["clientConfig"] as? [String: Any])?["service"] as? [String: Any])
            #expect(service["path"] as? String == "/validate/\(className)")
            #expect(service["name"] as? String == "portcullis")
            #expect(service["namespace"] as? String == "portcullis")
            #expect(service["port"] as? Int == 443)
            #expect(hook["failurePolicy"] as? String == "Fail")
            #expect(hook["sideEffects"] as? String == "None")
            #expect(hook["matchPolicy"] as? String == "Equivalent")
            #expect(hook["timeoutSeconds"] as? Int == 10)
            #expect(hook["admissionReviewVersions"] as? [String] == ["v1"])
            let selector = try #require(hook["namespaceSelector"] as? [String: Any])
            #expect(selector["matchLabels"] as? [String: String] == ["portcullis.io/data-class": className])
            let expressions = try #require(selector["matchExpressions"] as? [[String: Any]])
            #expect(expressions.count == 1)
            #expect(expressions[0]["key"] as? String == "kubernetes.io/metadata.name")
            #expect(expressions[0]["operator"] as? String == "NotIn")
            #expect(expressions[0]["values"] as? [String] == ["kube-system", "portcullis"])
        }
        #expect(Set(hooks.compactMap { $0["name"] as? String }) == Set(classes.map { "\($0).portcullis.io" }))
    }

    /// Pods, `kubectl debug`, every pod-template controller, both ways of binding a pod to a node, and DRA
    /// claims and templates in every served version (clusters before 1.34 serve no `resource.k8s.io/v1`, and a
    /// rule lists only the versions it converts requests to).
    @Test func rulesCoverEveryWayToRunPlaceOrEquipAPod() throws {
        let hooks = try webhooks(WebhookConfigurationRenderer().render(classNames: ["ephi"]))
        let rules = try #require(hooks.first?["rules"] as? [[String: Any]])
        var covered: Set<String> = []
        for rule in rules {
            #expect(rule["operations"] as? [String] == ["CREATE", "UPDATE"])
            let group = try #require((rule["apiGroups"] as? [String])?.first)
            let versions: [String] =
                switch group {
                case "resource.k8s.io": ["v1", "v1beta2", "v1beta1"]
                case "serving.kserve.io": ["*"]
                default: ["v1"]
                }
            #expect(rule["apiVersions"] as? [String] == versions)
            for resource in rule["resources"] as? [String] ?? [] { covered.insert("\(group)/\(resource)") }
        }
        #expect(
            covered == [
                "/pods", "/pods/ephemeralcontainers", "/pods/binding", "/bindings", "/persistentvolumeclaims",
                "/replicationcontrollers", "apps/deployments",
                "apps/replicasets", "apps/statefulsets", "apps/daemonsets", "batch/jobs", "batch/cronjobs",
                "resource.k8s.io/resourceclaims", "resource.k8s.io/resourceclaimtemplates",
                "serving.kserve.io/inferenceservices", "serving.kserve.io/servingruntimes",
            ])
    }

    /// The policy's `workloadKinds` are routed in every version their group serves, one rule per group; kinds it
    /// does not name are not.
    @Test func policyWorkloadKindsAreRouted() throws {
        let hooks = try webhooks(
            WebhookConfigurationRenderer().render(
                classNames: ["ephi"],
                workloadKinds: [("ray.io", "rayclusters"), ("jobset.x-k8s.io", "jobsets"), ("ray.io", "rayjobs")]))
        for hook in hooks {
            let rules = try #require(hook["rules"] as? [[String: Any]])
            let custom = rules.filter { ["ray.io", "jobset.x-k8s.io"].contains(($0["apiGroups"] as? [String])?.first) }
            #expect(custom.map { $0["apiGroups"] as? [String] ?? [] } == [["jobset.x-k8s.io"], ["ray.io"]])
            #expect(custom.map { $0["resources"] as? [String] ?? [] } == [["jobsets"], ["rayclusters", "rayjobs"]])
            #expect(
                custom.allSatisfy { $0["apiVersions"] as? [String] == ["*"] && $0["scope"] as? String == "Namespaced" })
        }
        #expect(throws: WebhookConfigurationError.self) {
            try WebhookConfigurationRenderer().render(classNames: ["ephi"], workloadKinds: [("Ray.IO", "x")])
        }
    }

    @Test func namespaceLabelsNamingNoClassAreRefusedInsideTheAPIServer() throws {
        let rendered = try objects(WebhookConfigurationRenderer().render(classNames: ["public", "ephi"]))
        let policy = try #require(rendered["ValidatingAdmissionPolicy"])
        let spec = try #require(policy["spec"] as? [String: Any])
        #expect(spec["failurePolicy"] as? String == "Fail")
        let validation = try #require((spec["validations"] as? [[String: Any]])?.first)
        #expect(
            validation["expression"] as? String
                == "!has(object.metadata.labels) || !(\"portcullis.io/data-class\" in object.metadata.labels)"
                + " || object.metadata.labels[\"portcullis.io/data-class\"] in [\"ephi\", \"public\"]")
        #expect((validation["message"] as? String)?.hasSuffix("of the Portcullis policy: ephi, public") == true)
        let binding = try #require(rendered["ValidatingAdmissionPolicyBinding"]?["spec"] as? [String: Any])
        #expect(binding["policyName"] as? String == (policy["metadata"] as? [String: Any])?["name"] as? String)
        #expect(binding["validationActions"] as? [String] == ["Deny"])
    }

    @Test func failOpenOnlyForTheNamedClass() throws {
        let hooks = try webhooks(WebhookConfigurationRenderer().render(classNames: classes, failOpen: ["public"]))
        for hook in hooks {
            let isPublic = hook["name"] as? String == "public.portcullis.io"
            #expect(hook["failurePolicy"] as? String == (isPublic ? "Ignore" : "Fail"))
        }
    }

    @Test func outputIsIndependentOfClassOrder() throws {
        let renderer = WebhookConfigurationRenderer()
        #expect(try renderer.render(classNames: classes) == renderer.render(classNames: classes.reversed()))
    }

    @Test func classNamesThatYAMLWouldRetypeStayStrings() throws {
        let hooks = try webhooks(WebhookConfigurationRenderer().render(classNames: ["yes", "null", "123"]))
        let values = hooks.compactMap {
            ($0["namespaceSelector"] as? [String: Any])?["matchLabels"] as? [String: String]
        }
        #expect(values.compactMap { $0["portcullis.io/data-class"] }.sorted() == ["123", "null", "yes"])
    }

    @Test func customNamespaceLabel() throws {
        let renderer = WebhookConfigurationRenderer(namespaceLabelKey: "compliance.example.com/zone")
        let hooks = try webhooks(renderer.render(classNames: ["ephi"]))
        let selector = hooks.first?["namespaceSelector"] as? [String: Any]
        #expect(selector?["matchLabels"] as? [String: String] == ["compliance.example.com/zone": "ephi"])
    }

    @Test(arguments: [
        (["ephi"], ["publik"], "--fail-open publik: the policy has no such class; known classes: ephi"),
        ([], [], "the policy defines no data classes; add at least one class"),
        (["ephi", "ephi"], [], "data class \"ephi\" appears twice"),
    ])
    func badInputIsRefusedWithAMessage(classNames: [String], failOpen: [String], message: String) {
        #expect(throws: WebhookConfigurationError(message)) {
            try WebhookConfigurationRenderer().render(classNames: classNames, failOpen: Set(failOpen))
        }
    }

    @Test(arguments: ["EPHI", "-ephi", "ephi-", "e phi", "ephi/x", "", String(repeating: "a", count: 64), "é"])
    func classNamesThatCannotBeLabelsOrPathsAreRefused(name: String) throws {
        let error = #expect(throws: WebhookConfigurationError.self) {
            try WebhookConfigurationRenderer().render(classNames: [name])
        }
        #expect(error?.message.contains("data class \"\(name)\" cannot name a webhook") == true)
    }

    @Test(arguments: ["", "/zone", "a b", "Example.com/zone", "example.com/", "x/y/z", "-zone"])
    func invalidNamespaceLabelKeysAreRefused(key: String) throws {
        let error = #expect(throws: WebhookConfigurationError.self) {
            try WebhookConfigurationRenderer(namespaceLabelKey: key).render(classNames: ["ephi"])
        }
        #expect(error?.message.contains("is not a valid label key") == true)
    }

    @Test(arguments: [0, 31])
    func timeoutOutsideTheAPIServersRangeIsRefused(seconds: Int) {
        #expect(throws: WebhookConfigurationError.self) {
            try WebhookConfigurationRenderer(timeoutSeconds: seconds).render(classNames: ["ephi"])
        }
    }
}

/// Routing by name and by default, and the label guard's rules, rendered from a policy's maps.
@Suite struct NamespaceRoutingRenderTests {
    private static let key = "portcullis.io/data-class"
    private let renderer = WebhookConfigurationRenderer()

    private func route(
        _ namespace: NamespaceRoutingTests.Namespace, defaultClass: String?, mapped: [String: String] = [:]
    ) throws -> [String] {
        let yaml = try renderer.render(
            classNames: ["ephi", "public"], namespaceClasses: mapped, defaultClass: defaultClass, failOpen: ["public"])
        return try NamespaceRoutingTests.routes(of: namespace, in: yaml)
    }

    /// Without `defaultClass`, an unlabelled unmapped namespace still reaches Portcullis, on `/validate`, where the
    /// engine denies (`unknown-class`); it fails closed even though `public` fails open.
    @Test func withoutDefaultClassOtherNamespacesAreSentToBeDenied() throws {
        let yaml = try renderer.render(classNames: ["ephi", "public"], failOpen: ["public"])
        let paths = try NamespaceRoutingTests.routes(of: .init(name: "team-search"), in: yaml)
        #expect(paths == ["/validate"])
        let policy = PolicyDocument(classes: ["ephi": DataClass(name: "ephi", registries: [])])
        #expect(NamespaceRoutingTests.resolvedClass(path: "/validate", namespace: "team-search", policy: policy) == nil)
        let objects = try Yams.load_all(yaml: yaml).compactMap { $0 as? [String: Any] }
        let hooks = objects.first?["webhooks"] as? [[String: Any]] ?? []
        let other = try #require(hooks.first { $0["name"] as? String == "other.namespaces.portcullis.io" })
        #expect(other["failurePolicy"] as? String == "Fail")
    }

    @Test func theDefaultWebhookFailsOpenOnlyWithAFailOpenDefaultClass() throws {
        let yaml = try renderer.render(classNames: ["ephi", "public"], defaultClass: "public", failOpen: ["public"])
        let objects = try Yams.load_all(yaml: yaml).compactMap { $0 as? [String: Any] }
        let hooks = objects.first?["webhooks"] as? [[String: Any]] ?? []
        let other = try #require(hooks.first { $0["name"] as? String == "other.namespaces.portcullis.io" })
        #expect(other["failurePolicy"] as? String == "Ignore")
    }

    /// A mapped namespace is routed by name only, so it is called once however it is labelled; a mapping to
    /// `kube-system` or to a name no namespace can have is not rendered (lint warns).
    @Test func mappedNamespacesAreRoutedOnceByName() throws {
        let mapped = ["lab": "ephi", "kube-system": "ephi", "Not_A_Name": "ephi"]
        for labels in [[:], [Self.key: "public"], [Self.key: "ephi"], [Self.key: "nonsense"]] {
            let paths = try route(.init(name: "lab", labels: labels), defaultClass: "public", mapped: mapped)
            #expect(paths == ["/validate/ephi"], "\(labels)")
        }
        #expect(try route(.init(name: "kube-system"), defaultClass: "public", mapped: mapped) == [])
        let yaml = try renderer.render(classNames: ["ephi"], namespaceClasses: mapped)
        #expect(!yaml.contains("Not_A_Name"))
        #expect(
            renderer.unroutableNamespaces(mapped).map(\.namespace) == ["Not_A_Name", "kube-system"])
    }

    private func guardValidations(mapped: [String: String]) throws -> [[String: Any]] {
        let yaml = try renderer.render(classNames: ["ephi", "public"], namespaceClasses: mapped)
        let policy = try #require(
            try Yams.load_all(yaml: yaml).compactMap { $0 as? [String: Any] }
                .first { $0["kind"] as? String == "ValidatingAdmissionPolicy" })
        return try #require((policy["spec"] as? [String: Any])?["validations"] as? [[String: Any]])
    }

    /// The label guard refuses removing or changing the label and contradicting the map, except for the platform
    /// group; the map rule exists only when there is a map.
    @Test func theLabelGuardProtectsTheLabelAndTheMap() throws {
        let validations = try guardValidations(mapped: ["lab": "ephi"])
        #expect(validations.count == 3)
        let change = try #require(validations[1]["expression"] as? String)
        #expect(change.hasPrefix("request.operation != \"UPDATE\" || !has(oldObject.metadata.labels)"))
        #expect(
            change.contains("object.metadata.labels[\"\(Self.key)\"] == oldObject.metadata.labels[\"\(Self.key)\"]"))
        #expect(change.hasSuffix("|| request.userInfo.groups.exists(g, g == \"portcullis:platform-admins\")"))
        let map = try #require(validations[2]["expression"] as? String)
        #expect(map.hasPrefix("!(object.metadata.name in {\"lab\": \"ephi\"})"))
        #expect(map.contains("object.metadata.labels[\"\(Self.key)\"] == {\"lab\": \"ephi\"}[object.metadata.name]"))
        #expect((validations[2]["message"] as? String)?.contains("namespaceClasses") == true)
        #expect(try guardValidations(mapped: [:]).count == 2)
    }

    @Test(arguments: ["", "team\"x", "a\\b", "x'y"])
    func platformGroupsThatCannotBeQuotedAreRefused(group: String) {
        #expect(throws: WebhookConfigurationError.self) {
            try WebhookConfigurationRenderer(platformGroup: group).render(classNames: ["ephi"])
        }
    }
}
