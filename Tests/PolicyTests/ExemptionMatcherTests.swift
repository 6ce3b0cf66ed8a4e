import AdmissionAPI
import Foundation
import Testing

@testable import Policy

/// Exemptions by the pod's service account, the requester's service account, user and group, and label selectors,
/// alone and combined with namespace and image. The pod under test breaks exactly `zone-residency` (no zone).
@Suite struct ExemptionMatcherTests {
    static let policy = """
        apiVersion: portcullis.dev/v1
        kind: Policy
        classes:
          ephi: {registries: [registry.internal/ephi], zones: [eu-a]}
        exemptions:
          - {podServiceAccount: clinical/node-agent, rules: [zone-residency], reason: runs on every node (PLAT-2)}
          - {requesterServiceAccount: ci/deployer, rules: [zone-residency], reason: CI smoke pods (PLAT-3)}
          - {user: oncall@corp.example, rules: [zone-residency], reason: break-glass debugging (SEC-4)}
          - {group: platform-admins, rules: [zone-residency], reason: platform maintenance (PLAT-5)}
          - labelSelector: {matchLabels: {portcullis.dev/exempt: node-agent}}
            namespace: clinical
            rules: [zone-residency]
            reason: labelled node agents in clinical only (PLAT-6)
          - labelSelector:
              matchExpressions:
                - {key: tier, operator: In, values: [canary, smoke]}
                - {key: pii, operator: DoesNotExist}
                - {key: track, operator: NotIn, values: [prod]}
                - {key: team, operator: Exists}
            rules: [zone-residency]
            reason: canaries without personal data (PLAT-7)
          - {group: vendors, image: docker.io/nvidia/dcgm-exporter, reason: vendor exporter by vendors only (SEC-8)}
        """

    static let engine = PolicyEngine(policy: try! PolicyDocument.parse(yaml: policy), policySHA256: "t")

    /// A pod of class ephi that breaks exactly zone-residency.
    static func unzonedPod() -> JSONObject {
        var pod = Fixture.pod()
        pod.set("spec.nodeSelector", nil)
        return pod
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let exempt: Bool
        var username = "alice"
        var groups = ["dev"]
        var namespace = "clinical"
        var tweak: @Sendable (inout JSONObject) -> Void = { _ in }
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "nothing matches", exempt: false),
        Case(name: "pod runs as the exempt service account", exempt: true) {
            $0.set("spec.serviceAccountName", "node-agent")
        },
        Case(name: "deprecated serviceAccount alias counts", exempt: true) {
            $0.set("spec.serviceAccount", "node-agent")
        },
        Case(name: "serviceAccountName wins over the alias", exempt: false) {
            $0.set("spec.serviceAccount", "node-agent")
            $0.set("spec.serviceAccountName", "app")
        },
        Case(name: "same service account name in another namespace", exempt: false, namespace: "research") {
            $0.set("spec.serviceAccountName", "node-agent")
        },
        Case(
            name: "requester is the exempt service account", exempt: true, username: "system:serviceaccount:ci:deployer"
        ),
        Case(name: "pod running as the requester's account is not the requester", exempt: false) {
            $0.set("spec.serviceAccountName", "deployer")
        },
        Case(
            name: "service account of another namespace", exempt: false, username: "system:serviceaccount:ci2:deployer"),
        Case(name: "exempt user", exempt: true, username: "oncall@corp.example"),
        Case(name: "user name differing in case", exempt: false, username: "Oncall@corp.example"),
        Case(name: "member of the exempt group", exempt: true, groups: ["dev", "platform-admins"]),
        Case(name: "group spoofed through labels", exempt: false) {
            $0.set("metadata.labels", ["group": "platform-admins", "groups": "platform-admins"])
        },
        Case(name: "user name equal to the group's name", exempt: false, username: "platform-admins"),
        Case(name: "matchLabels in its namespace", exempt: true) {
            $0.set("metadata.labels", ["portcullis.dev/exempt": "node-agent"])
        },
        Case(name: "matchLabels in another namespace", exempt: false, namespace: "research") {
            $0.set("metadata.labels", ["portcullis.dev/exempt": "node-agent"])
        },
        Case(name: "matchLabels with another value", exempt: false) {
            $0.set("metadata.labels", ["portcullis.dev/exempt": "anything"])
        },
        Case(name: "no labels at all", exempt: false) { $0.set("metadata.labels", [String: String]()) },
        Case(name: "every expression holds", exempt: true) {
            $0.set("metadata.labels", ["tier": "canary", "team": "ml", "track": "beta"])
        },
        Case(name: "In fails", exempt: false) { $0.set("metadata.labels", ["tier": "prod", "team": "ml"]) },
        Case(name: "DoesNotExist fails", exempt: false) {
            $0.set("metadata.labels", ["tier": "smoke", "team": "ml", "pii": "no"])
        },
        Case(name: "NotIn fails", exempt: false) {
            $0.set("metadata.labels", ["tier": "smoke", "team": "ml", "track": "prod"])
        },
        Case(name: "Exists fails", exempt: false) { $0.set("metadata.labels", ["tier": "smoke"]) },
        Case(name: "annotations are not labels", exempt: false) {
            $0.set("metadata.annotations", ["portcullis.dev/exempt": "node-agent"])
        },
    ]

    @Test(arguments: cases)
    func exemptsExactlyWhenEveryMatcherHolds(_ testCase: Case) throws {
        var pod = Self.unzonedPod()
        testCase.tweak(&pod)
        let decision = try Fixture.decide(
            pod, namespace: testCase.namespace, username: testCase.username, groups: testCase.groups,
            engine: Self.engine)
        if testCase.exempt {
            #expect(decision.allowed, "\(decision.violations.map(\.text))")
            #expect(decision.exemptions.map(\.ruleID) == [.zoneResidency])
            #expect(decision.response(uid: "u").auditAnnotations?["exempted-rules"] == "zone-residency")
        } else {
            #expect(decision.ruleIDs == [.zoneResidency], "\(decision.exemptions)")
            #expect(decision.exemptions.isEmpty)
        }
    }

    /// A Deployment is matched on its own labels and its pods' service account; the pods it creates are judged again
    /// on theirs, with the ReplicaSet controller as the requester.
    @Test func workloadMatchesItsOwnLabelsAndItsTemplatesServiceAccount() throws {
        var deployment = Fixture.workload("Deployment", from: Self.unzonedPod())
        #expect(try Fixture.decide(deployment, engine: Self.engine).ruleIDs == [.zoneResidency])
        deployment.set("spec.template.spec.serviceAccountName", "node-agent")
        let decision = try Fixture.decide(deployment, engine: Self.engine)
        #expect(decision.allowed && decision.exemptions.first?.reason.contains("PLAT-2") == true)
        #expect(decision.exemptions.first?.subject == "pods running as service account clinical/node-agent")
    }

    /// Both matchers of one entry must hold: the group alone, or the image alone, lifts nothing.
    @Test func combinedMatchersAllHaveToHold() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "nvidia/dcgm-exporter@\(Fixture.digest)")
        let byVendor = try Fixture.decide(pod, groups: ["vendors"], engine: Self.engine)
        #expect(byVendor.allowed && byVendor.exemptions.map(\.ruleID) == [.registryOrigin])
        #expect(byVendor.exemptions[0].subject == "image docker.io/nvidia/dcgm-exporter and group vendors")
        #expect(try Fixture.decide(pod, engine: Self.engine).ruleIDs == [.registryOrigin])
        pod.set("spec.containers.0.image", "registry.internal/ephi/other:1@\(Fixture.digest)")
        #expect(try Fixture.decide(pod, groups: ["vendors"], engine: Self.engine).exemptions.isEmpty)
    }

    /// A claim runs as no service account: a pod-service-account exemption never lifts its findings.
    @Test func podServiceAccountNeverMatchesAPodlessObject() throws {
        let claim: JSONObject = [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": "c", "namespace": "clinical"],
            "spec": ["storageClassName": "x"],
        ]
        let policy = Self.policy.replacingOccurrences(
            of: "ephi: {registries: [registry.internal/ephi], zones: [eu-a]}",
            with: "ephi: {registries: [registry.internal/ephi], storageClasses: [y]}"
        ).replacingOccurrences(of: "rules: [zone-residency], reason: runs", with: "reason: runs")
        let engine = PolicyEngine(policy: try PolicyDocument.parse(yaml: policy), policySHA256: "t")
        #expect(try Fixture.decide(claim, engine: engine).ruleIDs == [.storageClass])
    }
}

/// `policy lint` on the new matchers: each problem with its line and column, expired entries as suggestions.
@Suite struct ExemptionLintTests {
    static let head = PolicyLintTests.header + "classes:\n  a: {registries: [r.io]}\nexemptions:\n"

    static let cases: [(name: String, entry: String, column: Int, mentions: String)] = [
        ("no matcher at all", "  - {reason: y}\n", 5, "matches nothing in particular"),
        ("empty label selector", "  - {labelSelector: {}, reason: y}\n", 21, "would match every object"),
        (
            "only negative requirements",
            "  - {labelSelector: {matchExpressions: [{key: pii, operator: DoesNotExist}]}, reason: y}\n", 21,
            "every unlabelled object"
        ),
        (
            "In without values", "  - {labelSelector: {matchExpressions: [{key: t, operator: In}]}, reason: y}\n", 60,
            "needs a non-empty values list"
        ),
        (
            "Exists with values",
            "  - {labelSelector: {matchExpressions: [{key: t, operator: Exists, values: [a]}]}, reason: y}\n", 76,
            "takes no values"
        ),
        (
            "operator in the wrong case",
            "  - {labelSelector: {matchExpressions: [{key: t, operator: in, values: [a]}]}, reason: y}\n", 60,
            "is not one of In, NotIn, Exists, DoesNotExist"
        ),
        (
            "unknown selector key", "  - {labelSelector: {matchLabel: {a: b}}, reason: y}\n", 22,
            "unknown key \"matchLabel\""
        ),
        ("service account without namespace", "  - {podServiceAccount: agent, reason: y}\n", 25, "namespace/name"),
        (
            "service account as a username",
            "  - {requesterServiceAccount: \"system:serviceaccount:ci:d\", reason: y}\n",
            31, "namespace/name"
        ),
        ("empty user", "  - {user: \"\", reason: y}\n", 12, "user is empty"),
        ("group as a list", "  - {group: [a, b], reason: y}\n", 13, "must be a string"),
    ]

    @Test(arguments: cases)
    func rejectsWithPosition(_ testCase: (name: String, entry: String, column: Int, mentions: String)) {
        let found = PolicyLintTests.issues(Self.head + testCase.entry)
        let match = found.first { $0.message.contains(testCase.mentions) }
        #expect(match?.line == 6, "\(testCase.name): \(found)")
        #expect(match?.column == testCase.column, "\(testCase.name): \(found)")
    }

    @Test func expiredEntriesAreSuggestionsNotErrors() throws {
        let yaml =
            Self.head
            + "  - {user: bob, reason: y, expires: 2020-01-01}\n  - {user: carol, reason: z, expires: 2099-01-01}\n"
        let (policy, suggestions) = try PolicyDocument.lint(yaml: yaml, now: Fixture.now)
        #expect(policy.exemptions.count == 2)
        #expect(suggestions.count == 1)
        #expect(suggestions.first?.line == 6 && suggestions.first?.message.contains("exemptions[0] expired") == true)
        #expect(try PolicyDocument.lint(yaml: yaml).suggestions.isEmpty, "no clock, no expiry report")
    }

    @Test func matchersReadAsWritten() throws {
        let policy = try PolicyDocument.parse(yaml: ExemptionMatcherTests.policy)
        #expect(
            policy.exemptions[0].subjects == [
                .podServiceAccount(ServiceAccountName(namespace: "clinical", name: "node-agent"))
            ])
        #expect(
            policy.exemptions[1].subjects == [
                .requesterServiceAccount(ServiceAccountName(namespace: "ci", name: "deployer"))
            ])
        #expect(policy.exemptions[4].subjects.count == 2)
        #expect(
            policy.exemptions[5].subjects.first?.description
                == "labels tier in (canary, smoke), !pii, track notin (prod), team")
    }
}
