import AdmissionAPI
import Foundation
import Testing

@testable import Policy

/// Every path by which a pod gets an accelerator, judged by the shipped policy (`deploy/policy.yaml`) as
/// `portcullis evaluate` and the webhook judge it: extended resources of every vendor, Dynamic Resource
/// Allocation claims and their templates, a custom scheduler, and binding a pod to a node directly.
@Suite struct AcceleratorPathTests {
    static let digest = "sha256:" + String(repeating: "b", count: 64)

    /// The smallest pod the shipped policy's class `ephi` allows, with `spec` lines appended.
    static func ephiPod(_ specLines: String = "", name: String = "p") -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: \(name), namespace: clinical-nlp}
        spec:
          containers:
            - name: main
              image: registry.internal/ephi/app@\(digest)
          nodeSelector:
            topology.kubernetes.io/zone: europe-west4-a
        \(specLines)
        """
    }

    /// A container's limits as a YAML flow mapping, replacing the fixture's container.
    static func limits(_ resource: String) -> String {
        """
          containers:
            - name: main
              image: registry.internal/ephi/app@\(digest)
              resources: {limits: {"\(resource)": 1}}
        """
    }

    static let ephiPool = "    cloud.google.com/gke-nodepool: ephi-a100\n"
    static let gpuToleration = "  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\n"
    static let draClaim = """
          resourceClaims:
            - name: gpu
              resourceClaimTemplateName: a100-single
        """

    static func verdict(_ yaml: String, className: String = "ephi") -> (verdict: String, rules: [String], text: String)
    {
        let result = EvaluateTests.run(Array(yaml.utf8), className: className)
        let row = result.rows.first
        return (row?.verdict ?? "none", row?.decision?.ruleIDs.map(\.rawValue) ?? [], result.text())
    }

    /// Accelerator resources the issue found unconfined: each in a pod with no node pool must be denied.
    @Test(arguments: [
        "google.com/tpu", "aws.amazon.com/neuron", "aws.amazon.com/neuroncore", "habana.ai/gaudi", "gpu.intel.com/xe",
        "nvidia.com/mps.gpu", "nvidia.com/gpu.shared",
    ])
    func everyAcceleratorResourceIsConfined(resource: String) {
        let yaml = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p, namespace: clinical-nlp}
            spec:
            \(Self.limits(resource))
              nodeSelector:
                topology.kubernetes.io/zone: europe-west4-a
            """
        let (verdict, rules, text) = Self.verdict(yaml)
        #expect(verdict == "deny", "\(text)")
        #expect(rules.contains("gpu-pool"), "\(text)")
        #expect(text.contains(resource), "\(text)")
    }

    @Test func draPodOutsideAnyPoolIsDenied() {
        let (verdict, rules, text) = Self.verdict(Self.ephiPod(Self.draClaim))
        #expect(verdict == "deny", "\(text)")
        #expect(rules == ["gpu-pool"], "\(text)")
        #expect(text.contains("spec.resourceClaims[0]") && text.contains("a100-single"), "\(text)")
    }

    @Test func draJobInItsOwnPoolMayTolerateTheGPUTaint() {
        let (verdict, _, text) = Self.verdict(Self.ephiPod(Self.ephiPool + Self.gpuToleration + Self.draClaim))
        #expect(verdict == "allow", "\(text)")
    }

    @Test func draPodOfPublicOnAnEphiPoolIsDenied() {
        let yaml = Self.ephiPod(Self.ephiPool + Self.gpuToleration + Self.draClaim)
            .replacingOccurrences(of: "registry.internal/ephi/app", with: "registry.internal/app")
            // From a public namespace: clinical-nlp is mapped to ephi, which would decide as the stricter class.
            .replacingOccurrences(of: "namespace: clinical-nlp", with: "namespace: team-search")
        let (verdict, rules, text) = Self.verdict(yaml, className: "public")
        #expect(verdict == "deny", "\(text)")
        #expect(rules == ["gpu-pool"], "\(text)")
        #expect(text.contains("ephi-a100") && text.contains("shared-t4"), "\(text)")
    }

    @Test func customSchedulerInARegulatedClassIsDenied() {
        // On ephi's CPU pool, so that the scheduler is the only thing wrong with it (rule node-pool).
        let pod = Self.ephiPod("    cloud.google.com/gke-nodepool: ephi-cpu\n  schedulerName: my-scheduler\n")
        let (verdict, rules, text) = Self.verdict(pod)
        #expect(verdict == "deny", "\(text)")
        #expect(rules == ["scheduler-name"], "\(text)")
        #expect(text.contains("spec.schedulerName") && text.contains("default-scheduler"), "\(text)")
    }

    @Test func claimTemplateWithAnUnknownDeviceClassIsDenied() {
        let yaml = """
            apiVersion: resource.k8s.io/v1
            kind: ResourceClaimTemplate
            metadata: {name: a100-single, namespace: clinical-nlp}
            spec:
              spec:
                devices:
                  requests:
                    - name: gpu
                      exactly: {deviceClassName: fpga.example.com}
            """
        let (verdict, rules, text) = Self.verdict(yaml)
        #expect(verdict == "deny", "\(text)")
        #expect(rules == ["device-class"], "\(text)")
        #expect(text.contains("fpga.example.com") && text.contains("spec.spec.devices.requests[0]"), "\(text)")
    }

    /// `pods/binding` as a user other than the scheduler: a public pod onto an ephi GPU node.
    @Test func bindingAPublicPodToAnEphiNodeIsDenied() throws {
        let binding: JSONObject = [
            "apiVersion": "v1", "kind": "Binding", "metadata": ["name": "p", "namespace": "default"],
            "target": ["apiVersion": "v1", "kind": "Node", "name": "gke-prod-ephi-a100-5f2d8c1b-x7k2"],
        ]
        let request = try AdmissionReviewCodec.decodeRequest(
            Fixture.review(binding, subResource: "binding", namespace: "default"))
        let decision = EvaluateTests.engine.evaluate(request, classFromPath: "public", now: Fixture.now)
        #expect(decision.evaluated)
        #expect(!decision.allowed, "\(decision.violations.map(\.text))")
        #expect(decision.ruleIDs.map(\.rawValue) == ["node-binding"])
    }
}
