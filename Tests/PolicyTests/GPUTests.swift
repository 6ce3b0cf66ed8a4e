import AdmissionAPI
import Foundation
import Testing

@testable import Policy

/// GPU pools, the GPU taint and dedicated taints. The fixture policy's GPU taint is
/// `nvidia.com/gpu:NoSchedule` with an open value; `ephi` has GPU pool ephi-gpu and taint dedicated=ephi,
/// `pci` dedicates dedicated=pci.
@Suite struct GPUTests {
    static func gpuToleration() -> [String: Any] {
        ["key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"]
    }

    static let gpuCases: [PodCase] = [
        PodCase("GPU pod with toleration and pool", []) { _ in },
        PodCase("GPU only in requests", []) { pod in
            pod.set("spec.containers.0.resources", ["requests": ["nvidia.com/gpu": "1"]])
        },
        PodCase("GPU only in an init container", []) { pod in
            pod.set("spec.containers.0.resources", nil)
            pod.set(
                "spec.initContainers.0",
                ["name": "warmup", "image": Fixture.image, "resources": ["limits": ["nvidia.com/gpu": "1"]]])
        },
        PodCase("GPU only in an init container, no toleration", [.gpuToleration]) { pod in
            pod.set("spec.containers.0.resources", nil)
            pod.set("spec.tolerations", nil)
            pod.set(
                "spec.initContainers.0",
                ["name": "warmup", "image": Fixture.image, "resources": ["limits": ["nvidia.com/gpu": "1"]]])
        },
        PodCase("MIG slice", []) { pod in
            pod.set("spec.containers.0.resources.limits", ["nvidia.com/mig-1g.10gb": "1"])
        },
        PodCase("MIG slice without a pool", [.gpuPool]) { pod in
            pod.set("spec.containers.0.resources.limits", ["nvidia.com/mig-3g.40gb": "2"])
            pod.set("spec.nodeSelector.pool", nil)
        },
        PodCase("GPU as a plain number from a YAML manifest", []) { pod in
            pod.set("spec.containers.0.resources.limits", ["amd.com/gpu": 1])
        },
        PodCase("no GPU toleration", [.gpuToleration]) { pod in pod.set("spec.tolerations", nil) },
        PodCase("GPU toleration with empty effect tolerates every effect", []) { pod in
            pod.set("spec.tolerations", [["key": "nvidia.com/gpu", "operator": "Exists"]])
        },
        PodCase("Equal with a guessed value cannot be sure of an open-valued taint", [.gpuToleration]) { pod in
            pod.set("spec.tolerations", [["key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"]])
        },
        PodCase("toleration for the wrong effect", [.gpuToleration]) { pod in
            pod.set("spec.tolerations", [["key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"]])
        },
        PodCase("GPU with no pool constraint", [.gpuPool]) { pod in pod.set("spec.nodeSelector.pool", nil) },
        PodCase("GPU on another class's pool", [.gpuPool]) { pod in pod.set("spec.nodeSelector.pool", "shared-gpu") },
        PodCase("GPU pool through affinity", []) { pod in
            pod.set("spec.nodeSelector.pool", nil)
            pod.set(
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
                [["matchExpressions": [["key": "pool", "operator": "In", "values": ["ephi-gpu"]]]]])
        },
        PodCase("own dedicated taint", []) { pod in
            pod.set("spec.tolerations.1", ["key": "dedicated", "value": "ephi", "effect": "NoSchedule"])
        },
        PodCase("GPU pod with a blanket toleration", [.blanketToleration]) { pod in
            pod.set("spec.tolerations.1", ["operator": "Exists", "effect": "NoSchedule"])
        },
    ]

    /// Dynamic Resource Allocation: the pod names a claim or a claim template, never a device class, so every
    /// claim counts as an accelerator. The fixture's GPU taint is scoped to no resource, so it applies.
    static let claimCases: [PodCase] = [
        PodCase("claim from a template, with toleration and pool", []) { _ in },
        PodCase("named ResourceClaim", []) { pod in
            pod.set("spec.resourceClaims", [["name": "gpu", "resourceClaimName": "shared-a100"]])
        },
        PodCase("claim without a pool", [.gpuPool]) { pod in pod.set("spec.nodeSelector.pool", nil) },
        PodCase("claim on another class's pool", [.gpuPool]) { pod in pod.set("spec.nodeSelector.pool", "shared-gpu") },
        PodCase("claim without the GPU toleration", [.gpuToleration]) { pod in pod.set("spec.tolerations", nil) },
        PodCase("claims null are no claims: the toleration squats", [.gpuSquatting]) { pod in
            pod.set("spec.resourceClaims", NSNull())
        },
        PodCase("claim with a blanket toleration", [.blanketToleration]) { pod in
            pod.set("spec.tolerations.1", ["operator": "Exists"])
        },
    ]

    static func claimPod() -> JSONObject {
        var pod = Fixture.gpuPod()
        pod.set("spec.containers.0.resources", ["claims": [["name": "gpu"]]])
        pod.set("spec.resourceClaims", [["name": "gpu", "resourceClaimTemplateName": "a100-single"]])
        return pod
    }

    @Test(arguments: claimCases)
    func podsWithResourceClaims(_ test: PodCase) throws {
        try test.expectRules(on: Self.claimPod())
    }

    @Test func claimMessagesNameTheClaimAndWhyItCounts() throws {
        var pod = Self.claimPod()
        pod.set("spec.nodeSelector.pool", nil)
        let message = try #require(try Fixture.decide(pod).violations.first?.message)
        #expect(
            message.contains(
                #"resource claim "gpu" (spec.resourceClaims[0], from ResourceClaimTemplate "a100-single"; counted as an accelerator"#
            ))
        #expect(message.contains("set nodeSelector pool to one of ephi-gpu"), "\(message)")
    }

    /// `ExtendedResourceToleration` adds tolerations for extended resources only: a template whose pods use
    /// claims still needs the toleration written down.
    @Test func templatesWithClaimsAreNotExcusedByTheTolerationPlugin() throws {
        let text = Fixture.policyText.replacingOccurrences(
            of: "extendedResourceToleration: false", with: "extendedResourceToleration: true")
        let engine = PolicyEngine(policy: try PolicyDocument.parse(yaml: text), policySHA256: "")
        var pod = Self.claimPod()
        pod.set("spec.containers.0.resources", nil)
        pod.set("spec.tolerations", nil)
        let request = try AdmissionReviewCodec.decodeRequest(Fixture.review(Fixture.workload("Job", from: pod)))
        #expect(engine.evaluate(request, classFromPath: "ephi", now: Fixture.now).ruleIDs == [.gpuToleration])
    }

    @Test func claimInAClassWithoutAcceleratorPoolsIsDenied() throws {
        var pod = Self.claimPod()
        pod.set("spec.containers.0.image", "registry.internal/pci/app")
        pod.set("spec.nodeSelector", ["topology.kubernetes.io/region": "us-east"])
        #expect(try Fixture.decide(pod, className: "pci").ruleIDs == [.gpuPool])
    }

    @Test(arguments: gpuCases)
    func gpuPods(_ test: PodCase) throws {
        try test.expectRules(on: Fixture.gpuPod())
    }

    static let cpuCases: [PodCase] = [
        PodCase("no tolerations", []) { _ in },
        PodCase("tolerates the GPU taint without a GPU", [.gpuSquatting]) { pod in
            pod.set("spec.tolerations", [GPUTests.gpuToleration()])
        },
        PodCase("zero GPUs is no GPU", [.gpuSquatting]) { pod in
            pod.set("spec.containers.0.resources.limits", ["nvidia.com/gpu": "0"])
            pod.set("spec.tolerations", [GPUTests.gpuToleration()])
        },
        PodCase("Equal on the GPU key may tolerate it", [.gpuSquatting]) { pod in
            pod.set("spec.tolerations", [["key": "nvidia.com/gpu", "operator": "Equal", "value": "present"]])
        },
        PodCase("blanket Exists without key or effect", [.blanketToleration]) { pod in
            pod.set("spec.tolerations", [["operator": "Exists"]])
        },
        PodCase("Exists without key but with an effect", [.blanketToleration]) { pod in
            pod.set("spec.tolerations", [["operator": "Exists", "effect": "NoExecute"]])
        },
        PodCase("Exists on the dedicated key tolerates every class's taint", [.foreignTaint]) { pod in
            pod.set("spec.tolerations", [["key": "dedicated", "operator": "Exists"]])
        },
        PodCase("another class's dedicated taint", [.foreignTaint]) { pod in
            pod.set("spec.tolerations", [["key": "dedicated", "value": "pci", "effect": "NoSchedule"]])
        },
        PodCase("another class's taint but for another effect", []) { pod in
            pod.set("spec.tolerations", [["key": "dedicated", "value": "pci", "effect": "NoExecute"]])
        },
        PodCase("an unknown operator tolerates nothing", []) { pod in
            pod.set("spec.tolerations", [["key": "dedicated", "operator": "Matches", "value": "pci"]])
        },
        PodCase("the usual not-ready toleration", []) { pod in
            pod.set(
                "spec.tolerations",
                [
                    [
                        "key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                        "tolerationSeconds": 300,
                    ]
                ])
        },
    ]

    @Test(arguments: cpuCases)
    func podsWithoutGPU(_ test: PodCase) throws {
        try test.expectRules(on: Fixture.pod())
    }

    @Test func classWithoutDedicatedPoolsStillMayNotTolerateForeignTaints() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "registry.internal/pci/app")
        pod.set("spec.nodeSelector", ["topology.kubernetes.io/region": "us-east"])
        pod.set("spec.tolerations", [["key": "dedicated", "value": "ephi", "effect": "NoSchedule"]])
        #expect(try Fixture.decide(pod, className: "pci").ruleIDs == [.foreignTaint])
    }

    @Test func classWithoutGPUPoolsRefusesGPUs() throws {
        var pod = Fixture.gpuPod()
        pod.set("spec.containers.0.image", "registry.internal/pci/app")
        pod.set("spec.nodeSelector", ["topology.kubernetes.io/region": "us-east"])
        let decision = try Fixture.decide(pod, className: "pci")
        #expect(decision.ruleIDs == [.gpuPool])
        #expect(decision.violations[0].message.contains("has no accelerator node pools"))
    }

    @Test func gpuTaintsScopedToTheirResources() throws {
        let text = Fixture.policyText.replacingOccurrences(
            of: "    - {key: nvidia.com/gpu, effect: NoSchedule}",
            with: """
                    - {key: nvidia.com/gpu, effect: NoSchedule, resources: [nvidia.com/gpu, "nvidia.com/mig-*"]}
                    - {key: amd.com/gpu, effect: NoSchedule, resources: [amd.com/gpu]}
                """)
        let engine = PolicyEngine(policy: try PolicyDocument.parse(yaml: text), policySHA256: "")
        func decide(_ pod: JSONObject) throws -> Set<RuleID> {
            let request = try AdmissionReviewCodec.decodeRequest(Fixture.review(pod))
            return Set(engine.evaluate(request, classFromPath: "ephi", now: Fixture.now).ruleIDs)
        }
        // An NVIDIA pod need not tolerate the AMD nodes' taint, and the reverse.
        #expect(try decide(Fixture.gpuPod()) == [])
        var amd = Fixture.gpuPod()
        amd.set("spec.containers.0.resources.limits", ["amd.com/gpu": "1"])
        #expect(try decide(amd) == [.gpuToleration])
        amd.set("spec.tolerations", [["key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"]])
        #expect(try decide(amd) == [])
        // A pod using no GPU still may not tolerate either.
        var cpu = Fixture.pod()
        cpu.set("spec.tolerations", [["key": "amd.com/gpu", "operator": "Exists"]])
        #expect(try decide(cpu) == [.gpuSquatting])
    }

    @Test(arguments: [false, true])
    func extendedResourceTolerationSwitch(pluginRuns: Bool) throws {
        let text = Fixture.policyText.replacingOccurrences(
            of: "extendedResourceToleration: false", with: "extendedResourceToleration: \(pluginRuns)")
        let engine = PolicyEngine(policy: try PolicyDocument.parse(yaml: text), policySHA256: "")
        var pod = Fixture.gpuPod()
        pod.set("spec.tolerations", nil)
        for object in [Fixture.workload("Deployment", from: pod), pod] {
            let request = try AdmissionReviewCodec.decodeRequest(Fixture.review(object))
            let decision = engine.evaluate(request, classFromPath: "ephi", now: Fixture.now)
            // The plugin adds the toleration to pods, never to templates: pods always need it.
            let templateExcused = pluginRuns && object["kind"] as? String != "Pod"
            #expect(decision.ruleIDs == (templateExcused ? [] : [.gpuToleration]))
        }
    }
}
