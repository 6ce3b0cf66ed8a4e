import AdmissionAPI
import Foundation
import Testing

@testable import Policy

/// Deny-lists beside the allow-list: `deniedRegistries`, `deniedImages` and `deniedTags` of a class, judged for every
/// image, including images the class's `registries` allow.
@Suite struct DenyListTests {
    static let policy = """
        apiVersion: portcullis.dev/v1
        kind: Policy
        classes:
          ephi:
            registries: [registry.internal, docker.io/nvidia]
            deniedRegistries: [registry.internal/experimental, registry.internal:5000]
            deniedImages:
              - registry.internal/base/openssl                  # every tag and digest
              - registry.internal/base/python:3.8               # one tag
              - registry.internal/base/node@sha256:\(String(repeating: "b", count: 64))
            deniedTags: [latest, "debug-*", nightly]
        exemptions:
          - {namespace: sandbox, rules: [denied-tag], reason: sandbox builds may run nightlies (PLAT-9)}
        """

    static let engine = PolicyEngine(policy: try! PolicyDocument.parse(yaml: policy), policySHA256: "t")
    static let pinned = "@" + Fixture.digest

    static let cases: [(image: String, rules: Set<RuleID>)] = [
        ("registry.internal/ephi/app:1.0", []),
        ("registry.internal/ephi/app\(pinned)", []),
        ("registry.internal/experimental/app:1.0", [.deniedRegistry]),
        ("registry.internal/experimental\(pinned)", [.deniedRegistry]),
        ("registry.internal/experimental-x/app:1.0", []),
        ("registry.internal:5000/ephi/app:1.0", [.deniedRegistry, .registryOrigin]),
        ("registry.internal/base/openssl:3.0", [.deniedImage]),
        ("registry.internal/base/openssl\(pinned)", [.deniedImage]),
        ("registry.internal/base/openssl-fips:3.0", []),
        ("registry.internal/base/python:3.8", [.deniedImage]),
        ("registry.internal/base/python:3.8\(pinned)", [.deniedImage]),
        ("registry.internal/base/python:3.12", []),
        ("registry.internal/base/node@sha256:\(String(repeating: "b", count: 64))", [.deniedImage]),
        ("registry.internal/base/node:20@sha256:\(String(repeating: "b", count: 64))", [.deniedImage]),
        ("registry.internal/base/node:20\(pinned)", []),
        ("registry.internal/ephi/app", [.deniedTag]),
        ("registry.internal/ephi/app:latest", [.deniedTag]),
        ("registry.internal/ephi/app:latest\(pinned)", [.deniedTag]),
        ("registry.internal/ephi/app:Latest", []),
        ("registry.internal/ephi/app:debug-2024", [.deniedTag]),
        ("registry.internal/ephi/app:debug", []),
        ("registry.internal/ephi/app:nightly", [.deniedTag]),
        ("nvidia/cuda:latest", [.deniedTag]),
        ("docker.io/library/nginx:1.27", [.registryOrigin]),
        ("registry.internal/experimental/app:latest", [.deniedRegistry, .deniedTag]),
        ("not a reference", [.imageReference]),
    ]

    @Test(arguments: cases)
    func judgesEveryImageAgainstTheDenyLists(_ testCase: (image: String, rules: Set<RuleID>)) throws {
        var pod = Fixture.pod()
        pod.set("spec.nodeSelector", nil)
        pod.set("spec.containers.0.image", testCase.image)
        let decision = try Fixture.decide(pod, engine: Self.engine)
        #expect(Set(decision.ruleIDs) == testCase.rules, "\(decision.violations.map(\.text))")
    }

    /// Init containers and image volumes are images too.
    @Test func initContainersAndImageVolumesAreJudged() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "registry.internal/ephi/app:1")
        pod.set("spec.initContainers", [["name": "fetch", "image": "registry.internal/experimental/fetch:1"]])
        pod.set("spec.volumes", [["name": "model", "image": ["reference": "registry.internal/ephi/model:latest"]]])
        let decision = try Fixture.decide(pod, engine: Self.engine)
        #expect(decision.violations.map(\.path) == ["spec.initContainers[0].image", "spec.volumes[0].image.reference"])
        #expect(decision.ruleIDs == [.deniedRegistry, .deniedTag])
    }

    @Test func messagesNameTheListAndTheFix() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "registry.internal/experimental/app:latest")
        let messages = try Fixture.decide(pod, engine: Self.engine).violations.map(\.text)
        #expect(
            messages.contains(
                "[denied-registry] Pod \"p\": container \"main\" (spec.containers[0].image): image"
                    + " \"registry.internal/experimental/app:latest\" is from registry.internal/experimental, which"
                    + " class \"ephi\" denies (deniedRegistries); use an image from an allowed registry outside it"),
            "\(messages)")
        #expect(
            messages.contains(
                "[denied-tag] Pod \"p\": container \"main\" (spec.containers[0].image): image"
                    + " \"registry.internal/experimental/app:latest\" has tag \"latest\", which class \"ephi\" denies"
                    + " (deniedTags: latest, debug-*, nightly); use a release tag, or pin by digest without a denied"
                    + " tag"),
            "\(messages)")
        pod.set("spec.containers.0.image", "registry.internal/base/python:3.8")
        #expect(
            try Fixture.decide(pod, engine: Self.engine).violations.map(\.message) == [
                "Pod \"p\": container \"main\" (spec.containers[0].image): image \"registry.internal/base/python:3.8\""
                    + " is denied by class \"ephi\" (deniedImages entry registry.internal/base/python:3.8); use"
                    + " another version or image"
            ])
    }

    /// Deny-list findings are lifted like any other, and an unchanged image in an UPDATE is not re-judged.
    @Test func exemptionsAndUpdatesApply() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "registry.internal/ephi/app:nightly")
        let sandbox = try Fixture.decide(pod, namespace: "sandbox", engine: Self.engine)
        #expect(sandbox.allowed && sandbox.exemptions.map(\.ruleID) == [.deniedTag])
        var updated = pod
        updated.set("metadata.labels", ["touched": "yes"])
        let update = try Fixture.decide(updated, operation: "UPDATE", oldObject: pod, engine: Self.engine)
        #expect(update.allowed && update.updateReason?.hasPrefix("unchanged placement and images") == true)
    }

    static let lintCases: [(name: String, field: String, mentions: String)] = [
        ("registry with a tag", "deniedRegistries: [registry.internal/x:1]", "deniedRegistries[0]"),
        ("registry without a host", "deniedRegistries: [library]", "not a registry host"),
        ("image not normalised", "deniedImages: [python:3.8]", "docker.io/library/python:3.8"),
        ("image not a reference", "deniedImages: [\"Bad Image\"]", "deniedImages[0]"),
        ("empty tag", "deniedTags: [\"\"]", "deniedTags"),
        ("tag with a colon", "deniedTags: [\":latest\"]", "a tag"),
        ("empty list", "deniedTags: []", "is empty"),
    ]

    @Test(arguments: lintCases)
    func lintRejectsBadEntriesWithTheirLine(_ testCase: (name: String, field: String, mentions: String)) {
        let yaml = PolicyLintTests.header + "classes:\n  a:\n    registries: [r.io]\n    \(testCase.field)\n"
        let found = PolicyLintTests.issues(yaml)
        let match = found.first { $0.message.contains(testCase.mentions) }
        #expect(match?.line == 6, "\(testCase.name): \(found)")
    }
}
