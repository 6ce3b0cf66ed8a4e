/// Renders the `ValidatingWebhookConfiguration` that routes every namespace to its data class, with a
/// `ValidatingAdmissionPolicy` that keeps namespace labels from steering around it.
///
/// The API server picks webhooks by namespace labels only, and a namespace that no webhook selects is never
/// checked at all. So the routing is rendered from the whole policy, and every namespace reaches exactly one
/// webhook:
/// - `<class>.mapped.portcullis.io`: the namespaces `namespaceClasses` maps to the class, by name
///   (`kubernetes.io/metadata.name`, which the API server sets and nobody can change), whatever their label
///   says, to `/validate/<class>`;
/// - `<class>.portcullis.io`: other namespaces labelled `portcullis.io/data-class: <class>`, to
///   `/validate/<class>`;
/// - `other.namespaces.portcullis.io`: every remaining namespace (no label, or one naming no class), to
///   `/validate`, where the policy's `defaultClass` applies, or, without one, the request is denied.
///
/// Generating it from the policy means adding a class or a mapping never needs hand edits in several
/// places, and CI can check that the committed file still matches the policy.
///
/// The output is deterministic (classes sorted, fixed key order, no timestamps) so it can be
/// compared byte for byte with the committed `deploy/validatingwebhookconfiguration.yaml`.
public struct WebhookConfigurationRenderer: Sendable {
    /// The namespace label whose value names the namespace's data class.
    public var namespaceLabelKey: String
    /// Seconds the API server waits for an answer; the signature budget stays below it.
    public var timeoutSeconds: Int
    /// The Service the API server calls (`<serviceName>.<serviceNamespace>.svc:443`).
    public var serviceName: String
    public var serviceNamespace: String
    /// Never sent to Portcullis, whatever their labels: its own namespace (so it can always
    /// restart itself) and `kube-system` (so it cannot lock the control plane out).
    public var excludedNamespaces: [String]
    /// The one group whose members may remove or change a namespace's class label, or set one that
    /// contradicts `namespaceClasses` (the platform team, while moving a namespace between classes).
    public var platformGroup: String

    public init(
        namespaceLabelKey: String = "portcullis.io/data-class",
        timeoutSeconds: Int = 10,
        serviceName: String = "portcullis",
        serviceNamespace: String = "portcullis",
        excludedNamespaces: [String] = ["kube-system", "portcullis"],
        platformGroup: String = "portcullis:platform-admins"
    ) {
        self.namespaceLabelKey = namespaceLabelKey
        self.timeoutSeconds = timeoutSeconds
        self.serviceName = serviceName
        self.serviceNamespace = serviceNamespace
        self.excludedNamespaces = excludedNamespaces
        self.platformGroup = platformGroup
    }

    /// The `namespaceClasses` entries no rendered webhook can route, each with the reason: a key that cannot be a
    /// namespace name, or a namespace that is never sent to Portcullis. `policy lint` warns about them.
    public func unroutableNamespaces(_ namespaceClasses: [String: String]) -> [(namespace: String, reason: String)] {
        namespaceClasses.keys.sorted().compactMap { namespace in
            if !Self.isDNSLabel(namespace[...]) {
                return (
                    namespace,
                    "is not a namespace name (1-63 lowercase letters, digits or '-'), so no namespace matches it "
                        + "and the webhook configuration cannot route it"
                )
            }
            if excludedNamespaces.contains(namespace) {
                return (
                    namespace,
                    "is never sent to Portcullis (the webhook configuration excludes "
                        + "\(excludedNamespaces.sorted().joined(separator: ", "))), so this entry has no effect"
                )
            }
            return nil
        }
    }

    /// Renders the configuration for `classNames`, the policy's `namespaceClasses` and its `defaultClass`.
    ///
    /// Every class fails closed (`failurePolicy: Fail`) unless it is listed in `failOpen`:
    /// a non-regulated class such as `public` may prefer availability over enforcement. The webhook for
    /// the remaining namespaces fails open only when `defaultClass` does.
    /// - Throws: `WebhookConfigurationError` for an empty class list, a class name that cannot be
    ///   a label value, DNS label and path segment at once, a duplicate, a `failOpen` class the
    ///   policy does not define, an invalid label key or platform group, or a timeout outside the
    ///   API server's 1–30 s.
    public func render(
        classNames: [String], namespaceClasses: [String: String] = [:], defaultClass: String? = nil,
        failOpen: Set<String> = [], workloadKinds: [(group: String, resource: String)] = []
    ) throws(WebhookConfigurationError) -> String {
        try validate(classNames: classNames, failOpen: failOpen)
        for kind in workloadKinds where !Self.isDNSName(kind.group) || !Self.isDNSLabel(kind.resource[...]) {
            throw WebhookConfigurationError(
                "workload kind \"\(kind.group)/\(kind.resource)\": the group and resource must be lower-case DNS names")
        }
        // The policy's workload kinds, one rule per API group, in every version the group serves.
        var byGroup: [String: Set<String>] = [:]
        for kind in workloadKinds { byGroup[kind.group, default: []].insert(kind.resource) }
        let rules =
            Self.rules + byGroup.keys.sorted().map { (group: $0, versions: ["*"], resources: byGroup[$0]!.sorted()) }
        let unroutable = Set(unroutableNamespaces(namespaceClasses).map(\.namespace))
        // Only names that can be routed are spliced into the output, so none can carry a quote.
        let mapped = namespaceClasses.filter { !unroutable.contains($0.key) && classNames.contains($0.value) }
        var lines = [
            "# Generated by `portcullis manifests` from the policy's data classes; do not edit by hand.",
            "# Regenerate with `scripts/validate-manifests.sh --update` after changing the classes.",
            "apiVersion: admissionregistration.k8s.io/v1",
            "kind: ValidatingWebhookConfiguration",
            "metadata:",
            "  name: \(serviceName)",
            "webhooks:",
        ]
        let byName = excludedNamespaces + mapped.keys
        for className in classNames.sorted() {
            lines += webhook(
                name: "\(className).\(serviceName).io", path: "/validate/\(className)",
                failurePolicy: failOpen.contains(className) ? "Ignore" : "Fail",
                selector: [
                    "      matchLabels:",
                    // Quoted: a class called `yes`, `null` or `123` must stay a string label value.
                    "        \(namespaceLabelKey): \"\(className)\"",
                    "      matchExpressions:",
                ] + Self.expression("kubernetes.io/metadata.name", "NotIn", byName), rules: rules)
        }
        for className in classNames.sorted() {
            let namespaces = mapped.filter { $0.value == className }.map(\.key)
            guard !namespaces.isEmpty else { continue }
            lines += webhook(
                name: "\(className).mapped.\(serviceName).io", path: "/validate/\(className)",
                failurePolicy: failOpen.contains(className) ? "Ignore" : "Fail",
                selector: ["      matchExpressions:"]
                    + Self.expression("kubernetes.io/metadata.name", "In", namespaces),
                rules: rules)
        }
        lines += webhook(
            name: "other.namespaces.\(serviceName).io", path: "/validate",
            failurePolicy: defaultClass.map(failOpen.contains) == true ? "Ignore" : "Fail",
            selector: ["      matchExpressions:"]
                + Self.expression(namespaceLabelKey, "NotIn", classNames)
                + Self.expression("kubernetes.io/metadata.name", "NotIn", byName), rules: rules)
        lines += labelGuard(classNames: classNames.sorted(), mapped: mapped)
        return lines.joined(separator: "\n") + "\n"
    }

    /// One `matchExpressions` entry, values sorted and quoted (so `yes` or `123` stay strings).
    private static func expression(_ key: String, _ op: String, _ values: [String]) -> [String] {
        [
            "        - key: \(key)",
            "          operator: \(op)",
            "          values: [\(Set(values).sorted().map { "\"\($0)\"" }.joined(separator: ", "))]",
        ]
    }

    /// A ValidatingAdmissionPolicy (evaluated inside the API server, so it cannot be down) that keeps the
    /// class label honest: it must name a class of the policy (a typo such as `ephl` would fall to the
    /// default class), and only `platformGroup` may remove or change it, or set one that contradicts
    /// `namespaceClasses` (removing `ephi` from an unmapped namespace would move it to the default class).
    private func labelGuard(classNames: [String], mapped: [String: String]) -> [String] {
        let name = "\(serviceName)-namespace-class-label"
        let quoted = classNames.map { "\"\($0)\"" }.joined(separator: ", ")
        // Safe to splice: the key, the group, the class and namespace names were validated and hold no quotes.
        let label = "\"\(namespaceLabelKey)\""
        let platform = "request.userInfo.groups.exists(g, g == \"\(platformGroup)\")"
        let old = "oldObject.metadata.labels"
        let new = "object.metadata.labels"
        var validations = [
            "    - expression: '!has(object.metadata.labels) || !(\(label) in object.metadata.labels)"
                + " || object.metadata.labels[\(label)] in [\(quoted)]'",
            "      message: \"label \(namespaceLabelKey) must name a data class of the Portcullis policy: "
                + "\(classNames.joined(separator: ", "))\"",
            "      reason: Invalid",
            // CREATE has no old object; `||` stops before reading it.
            "    - expression: 'request.operation != \"UPDATE\" || !has(\(old)) || !(\(label) in \(old))"
                + " || (has(\(new)) && \(label) in \(new) && \(new)[\(label)] == \(old)[\(label)]) || \(platform)'",
            "      message: \"label \(namespaceLabelKey) chooses the data class that checks this namespace's pods; "
                + "only group \(platformGroup) may remove or change it\"",
            "      reason: Forbidden",
        ]
        if !mapped.isEmpty {
            let map = mapped.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }
                .joined(separator: ", ")
            validations += [
                "    - expression: '!(object.metadata.name in {\(map)}) || !has(\(new)) || !(\(label) in \(new))"
                    + " || \(new)[\(label)] == {\(map)}[object.metadata.name] || \(platform)'",
                "      message: \"label \(namespaceLabelKey) contradicts the policy's namespaceClasses, which maps this "
                    + "namespace to another class; only group \(platformGroup) may set it\"",
                "      reason: Forbidden",
            ]
        }
        return [
            "---",
            "# Keeps the class label honest: it must name a class, and only the platform group may remove or",
            "# change it, or contradict namespaceClasses.",
            "apiVersion: admissionregistration.k8s.io/v1",
            "kind: ValidatingAdmissionPolicy",
            "metadata:",
            "  name: \(name)",
            "spec:",
            "  failurePolicy: Fail",
            "  matchConstraints:",
            "    resourceRules:",
            "      - apiGroups: [\"\"]",
            "        apiVersions: [\"v1\"]",
            "        operations: [\"CREATE\", \"UPDATE\"]",
            "        resources: [\"namespaces\"]",
            "  validations:",
        ] + validations + [
            "---",
            "apiVersion: admissionregistration.k8s.io/v1",
            "kind: ValidatingAdmissionPolicyBinding",
            "metadata:",
            "  name: \(name)",
            "spec:",
            "  policyName: \(name)",
            "  validationActions: [\"Deny\"]",
        ]
    }

    private func webhook(
        name: String, path: String, failurePolicy: String, selector: [String],
        rules: [(group: String, versions: [String], resources: [String])]
    ) -> [String] {
        var lines =
            [
                "  - name: \(name)",
                "    admissionReviewVersions: [\"v1\"]",
                "    clientConfig:",
                "      service:",
                "        namespace: \(serviceNamespace)",
                "        name: \(serviceName)",
                "        path: \(path)",
                "        port: 443",
                "    failurePolicy: \(failurePolicy)",
                "    matchPolicy: Equivalent",
                "    sideEffects: None",
                "    timeoutSeconds: \(timeoutSeconds)",
                "    namespaceSelector:",
            ] + selector + ["    rules:"]
        for rule in rules {
            lines += [
                "      - apiGroups: [\"\(rule.group)\"]",
                "        apiVersions: [\(rule.versions.map { "\"\($0)\"" }.joined(separator: ", "))]",
                "        operations: [\"CREATE\", \"UPDATE\"]",
                "        resources: [\(rule.resources.map { "\"\($0)\"" }.joined(separator: ", "))]",
                "        scope: Namespaced",
            ]
        }
        return lines
    }

    /// Pods (and `kubectl debug`'s ephemeral containers) plus every built-in controller with a
    /// pod template, so a bad workload is refused at `kubectl apply` rather than failing later
    /// as ReplicaSet events nobody reads; PersistentVolumeClaims, which choose where data lives; bindings (`pods/binding` and the older `bindings`), which
    /// place a pod on a node without the scheduler; DRA claims and claim templates, which decide
    /// which devices a pod gets, in every version a cluster may serve them in; and KServe's InferenceService and
    /// ServingRuntime, whose model URIs never appear in a pod spec (every version KServe serves). The policy's
    /// `workloadKinds` (AI training and serving CRDs) are added per render.
    private static let rules: [(group: String, versions: [String], resources: [String])] = [
        (
            "", ["v1"],
            [
                "pods", "pods/ephemeralcontainers", "pods/binding", "bindings", "persistentvolumeclaims",
                "replicationcontrollers",
            ]
        ),
        ("apps", ["v1"], ["deployments", "replicasets", "statefulsets", "daemonsets"]),
        ("batch", ["v1"], ["jobs", "cronjobs"]),
        ("resource.k8s.io", ["v1", "v1beta2", "v1beta1"], ["resourceclaims", "resourceclaimtemplates"]),
        ("serving.kserve.io", ["*"], ["inferenceservices", "servingruntimes"]),
    ]

    private func validate(classNames: [String], failOpen: Set<String>) throws(WebhookConfigurationError) {
        guard !classNames.isEmpty else {
            throw WebhookConfigurationError("the policy defines no data classes; add at least one class")
        }
        var seen = Set<String>()
        for name in classNames {
            guard Self.isDNSLabel(name[...]) else {
                throw WebhookConfigurationError(
                    "data class \"\(name)\" cannot name a webhook: use 1-63 lowercase letters, digits or '-', "
                        + "starting and ending with a letter or digit (it becomes a label value, a DNS label "
                        + "and the path /validate/<class>)"
                )
            }
            guard seen.insert(name).inserted else {
                throw WebhookConfigurationError("data class \"\(name)\" appears twice")
            }
        }
        for name in failOpen.sorted() where !seen.contains(name) {
            throw WebhookConfigurationError(
                "--fail-open \(name): the policy has no such class; known classes: "
                    + classNames.sorted().joined(separator: ", ")
            )
        }
        guard Self.isQualifiedName(namespaceLabelKey) else {
            throw WebhookConfigurationError(
                "namespace label key \"\(namespaceLabelKey)\" is not a valid label key "
                    + "(an optional DNS prefix and '/', then 1-63 letters, digits, '-', '_' or '.')"
            )
        }
        let unsafe = "\"'\\".unicodeScalars
        guard !platformGroup.isEmpty,
            !platformGroup.unicodeScalars.contains(where: { unsafe.contains($0) || $0.value < 0x20 })
        else {
            throw WebhookConfigurationError(
                "platform group \"\(platformGroup)\" cannot be written into the label guard: give a non-empty group "
                    + "name without quotes, backslashes or control characters")
        }
        guard (1...30).contains(timeoutSeconds) else {
            throw WebhookConfigurationError("timeoutSeconds \(timeoutSeconds) is outside the API server's 1-30 s")
        }
    }

    /// RFC 1123 label, as Kubernetes checks it (`IsDNS1123Label`).
    /// Dot-separated DNS labels, as API groups are.
    static func isDNSName(_ text: String) -> Bool {
        !text.isEmpty && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isDNSLabel)
    }

    static func isDNSLabel(_ text: Substring) -> Bool {
        isToken(text, maxLength: 63, ends: isLowerAlphanumeric, inner: { isLowerAlphanumeric($0) || $0 == "-" })
    }

    /// A label key (`IsQualifiedName`): `[prefix/]name`, prefix a DNS subdomain of at most
    /// 253 characters, name 1-63 of `[A-Za-z0-9._-]` starting and ending alphanumeric.
    static func isQualifiedName(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.last else { return false }
        if parts.count == 2 {
            let prefix = parts[0]
            guard prefix.utf8.count <= 253,
                prefix.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isDNSLabel)
            else { return false }
        }
        let isAlphanumeric = { (c: Unicode.Scalar) in isLowerAlphanumeric(c) || ("A"..."Z").contains(c) }
        let isNameCharacter = { (c: Unicode.Scalar) in isAlphanumeric(c) || "-_.".unicodeScalars.contains(c) }
        return isToken(name, maxLength: 63, ends: isAlphanumeric, inner: isNameCharacter)
    }

    private static func isLowerAlphanumeric(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("0"..."9").contains(c)
    }

    private static func isToken(
        _ text: Substring, maxLength: Int, ends: (Unicode.Scalar) -> Bool, inner: (Unicode.Scalar) -> Bool
    ) -> Bool {
        let scalars = text.unicodeScalars
        guard (1...maxLength).contains(scalars.count), let first = scalars.first, let last = scalars.last else {
            return false
        }
        return ends(first) && ends(last) && scalars.allSatisfy(inner)
    }
}

/// Why a webhook configuration could not be rendered, in words a platform engineer can act on.
public struct WebhookConfigurationError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
