import AdmissionAPI
import Foundation
import Testing

@testable import Policy

/// Kubeflow Trainer v2 `TrainJob` as the shipped policy lists it: its trainer image (`spec.trainer.image`) is judged by
/// the image rules, and its pod template overrides (`podTemplateOverrides`, v2.1; `runtimePatches`, v2.2) as patches:
/// on what they set, since their runtime's template supplies the rest.
@Suite struct TrainJobTests {
    static let engine: PolicyEngine = {
        let text = try! String(
            contentsOf: PolicyLintTests.repositoryRoot.appending(path: "deploy/policy.yaml"), encoding: .utf8)
        return PolicyEngine(policy: try! PolicyDocument.parse(yaml: text), policySHA256: "shipped")
    }()

    static let pinned = "registry.internal/ephi/rrs-trainer:3.2@sha256:" + String(repeating: "c", count: 64)

    static func trainJob(_ spec: JSONObject = [:]) -> JSONObject {
        var full: JSONObject = [
            "runtimeRef": ["name": "torch-distributed"], "trainer": ["image": pinned, "numNodes": 2],
        ]
        for (key, value) in spec { full[key] = value }
        return [
            "apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
            "metadata": ["name": "tj", "namespace": "clinical-nlp"], "spec": full,
        ]
    }

    /// A v2.1 override of the `node` job: what platform teams set (a service account, a GPU node selector, env).
    static func override(_ spec: JSONObject) -> JSONObject {
        ["podTemplateOverrides": [["targetJobs": [["name": "node"]], "spec": spec]]]
    }

    /// A v2.2 runtime patch of the `node` job's pod template.
    static func runtimePatch(_ spec: JSONObject) -> JSONObject {
        [
            "runtimePatches": [
                [
                    "manager": "platform.example/defaults",
                    "trainingRuntimeSpec": [
                        "template": [
                            "spec": [
                                "replicatedJobs": [
                                    ["name": "node", "template": ["spec": ["template": ["spec": spec]]]]
                                ]
                            ]
                        ]
                    ],
                ]
            ]
        ]
    }

    static func usual() -> JSONObject {
        [
            "serviceAccountName": "rrs-trainer",
            "nodeSelector": ["cloud.google.com/gke-nodepool": "ephi-a100"],
            "tolerations": [
                ["key": "portcullis.io/data-class", "operator": "Equal", "value": "ephi", "effect": "NoSchedule"]
            ],
            "containers": [["name": "node", "env": [["name": "NCCL_DEBUG", "value": "WARN"]]]],
        ]
    }

    /// Each case replaces or adds members of the TrainJob's spec.
    static func merge(_ extra: JSONObject, into job: inout JSONObject) {
        for (key, value) in extra { job.set("spec.\(key)", value) }
    }

    static let cases: [PodCase] = [
        PodCase("runtime reference only", []) { $0.set("spec.trainer", nil) },
        PodCase("pinned trainer image from the class's registry", []) { _ in },
        PodCase("public trainer image", [.registryOrigin, .imageDigest]) {
            $0.set("spec.trainer.image", "pytorch/pytorch:2.3")
        },
        PodCase("empty trainer image", [.imageReference]) { $0.set("spec.trainer.image", "") },
        PodCase("the usual override, containers without images", []) { merge(override(usual()), into: &$0) },
        PodCase("the usual runtime patch", []) { merge(runtimePatch(usual()), into: &$0) },
        PodCase("override tolerating every taint", [.blanketToleration]) {
            merge(override(["tolerations": [["operator": "Exists"]]]), into: &$0)
        },
        PodCase("runtime patch tolerating cardholder-data's nodes", [.foreignTaint]) {
            let toleration = ["key": "portcullis.io/data-class", "value": "cardholder-data", "effect": "NoSchedule"]
            merge(runtimePatch(["tolerations": [toleration]]), into: &$0)
        },
        PodCase("override mounting the node's disk", [.volumeType]) {
            merge(override(["volumes": [["name": "host", "hostPath": ["path": "/"]]]]), into: &$0)
        },
        PodCase("override mounting a public image as a volume", [.registryOrigin, .imageDigest]) {
            merge(override(["volumes": [["name": "m", "image": ["reference": "docker.io/x/model:1"]]]]), into: &$0)
        },
        PodCase("override without a zone is not judged for what its runtime sets", []) {
            merge(override(["nodeSelector": ["cloud.google.com/gke-nodepool": "ephi-h100"]]), into: &$0)
        },
    ]

    @Test(arguments: cases)
    func judgesTheTrainerImageAndWhatOverridesSet(_ testCase: PodCase) throws {
        var job = Self.trainJob()
        testCase.tweak(&job)
        let decision = try Fixture.decide(job, namespace: "clinical-nlp", engine: Self.engine)
        #expect(decision.evaluated)
        #expect(Set(decision.ruleIDs) == testCase.rules, "\(decision.violations.map(\.text))")
    }

    @Test func messagesNameTheTrainJobAndTheField() throws {
        var job = Self.trainJob()
        job.set("spec.trainer.image", "pytorch/pytorch:2.3")
        let decision = try Fixture.decide(job, namespace: "clinical-nlp", engine: Self.engine)
        #expect(decision.violations.allSatisfy { $0.path == "spec.trainer.image" }, "\(decision.violations)")
        #expect(
            decision.violations.first?.message.hasPrefix(
                #"TrainJob "tj": image field (spec.trainer.image): image "pytorch/pytorch:2.3" is from registry"#)
                == true, "\(decision.violations.map(\.text))")
        #expect(decision.images == ["pytorch/pytorch:2.3"], "the trainer image is listed for the audit line")
        var patched = Self.trainJob()
        Self.merge(Self.override(["tolerations": [["operator": "Exists"]]]), into: &patched)
        let message = try Fixture.decide(patched, namespace: "clinical-nlp", engine: Self.engine).violations.first
        #expect(message?.message.hasPrefix(#"TrainJob "tj" pod template spec.podTemplateOverrides[0]:"#) == true)
    }

    /// Kueue suspending and resuming a TrainJob changes nothing a rule reads; a new trainer image is judged.
    @Test func updatesAreJudgedOnWhatTheyChange() throws {
        var old = Self.trainJob()
        old.set("spec.trainer.image", "registry.internal/ephi/rrs-trainer:3.1")
        var suspended = old
        suspended.set("spec.suspend", true)
        let decision = try Fixture.decide(
            suspended, operation: "UPDATE", oldObject: old, namespace: "clinical-nlp", engine: Self.engine)
        #expect(decision.allowed && decision.updateReason?.hasPrefix("unchanged placement and images") == true)
        var retagged = old
        retagged.set("spec.trainer.image", "registry.internal/ephi/rrs-trainer:3.2")
        let judged = try Fixture.decide(
            retagged, operation: "UPDATE", oldObject: old, namespace: "clinical-nlp", engine: Self.engine)
        #expect(judged.ruleIDs == [.imageDigest], "\(judged.violations.map(\.text))")
    }

    @Test func lintReadsPatchesAndImages() throws {
        let yaml =
            PolicyLintTests.header
            + "classes:\n  a: {registries: [r.io]}\nworkloadKinds:\n"
            + "  - {group: x.io, kind: K, images: [spec.a.image, \"bad[\"]}\n"
            + "  - {group: x.io, kind: L}\n"
        let found = PolicyLintTests.issues(yaml)
        #expect(found.contains { $0.line == 6 && $0.message.contains("images[1]") }, "\(found)")
        #expect(found.contains { $0.line == 7 && $0.message.contains("templates, patches or images") }, "\(found)")
    }
}
