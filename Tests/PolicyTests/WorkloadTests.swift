import AdmissionAPI
import Foundation
import Testing

@testable import Policy

/// Which objects and operations are checked, and where each keeps its pod spec.
@Suite struct WorkloadTests {
    static let templatePaths: [(kind: String, path: String)] = [
        ("Deployment", "spec.template.spec"), ("ReplicaSet", "spec.template.spec"),
        ("StatefulSet", "spec.template.spec"), ("DaemonSet", "spec.template.spec"), ("Job", "spec.template.spec"),
        ("CronJob", "spec.jobTemplate.spec.template.spec"),
    ]

    @Test(arguments: templatePaths)
    func workloadTemplatesAreChecked(kind: String, path: String) throws {
        #expect(try Fixture.decide(Fixture.workload(kind, from: Fixture.pod())).allowed)
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "docker.io/pytorch/pytorch@\(Fixture.digest)")
        let decision = try Fixture.decide(Fixture.workload(kind, from: pod))
        #expect(decision.evaluated)
        #expect(decision.ruleIDs == [.registryOrigin])
        #expect(decision.violations[0].path == "\(path).containers[0].image")
        #expect(decision.violations[0].message.hasPrefix("\(kind) \"w\" pod template: container \"main\""))
    }

    @Test func ephemeralContainersSubresourceCannotBypassRegistries() throws {
        let old = Fixture.pod()
        var new = old
        new.set("spec.ephemeralContainers.0", ["name": "debugger", "image": "busybox:1.36"])
        let decision = try Fixture.decide(new, operation: "UPDATE", oldObject: old, subResource: "ephemeralcontainers")
        #expect(decision.ruleIDs == [.imageDigest, .registryOrigin])
        #expect(decision.violations[0].message.contains("ephemeral container \"debugger\""))
    }

    @Test func updateThatChangesAnImageIsChecked() throws {
        let old = Fixture.pod()
        var new = old
        new.set("spec.containers.0.image", "registry.internal/pci/app@\(Fixture.digest)")
        let decision = try Fixture.decide(new, operation: "UPDATE", oldObject: old)
        #expect(!decision.allowed)
        #expect(decision.ruleIDs == [.registryOrigin])
    }

    static let unchecked: [(kind: String, operation: String, subResource: String?)] = [
        ("Pod", "DELETE", nil), ("Pod", "CONNECT", nil), ("Pod", "UPDATE", "status"), ("Pod", "CREATE", "binding"),
        ("Deployment", "UPDATE", "scale"), ("ConfigMap", "CREATE", nil), ("Service", "CREATE", nil),
    ]

    @Test(arguments: unchecked)
    func outOfScopeRequestsAreAllowedUnexamined(kind: String, operation: String, subResource: String?) throws {
        var object = kind == "Deployment" ? Fixture.workload(kind, from: Fixture.pod()) : Fixture.pod()
        object["kind"] = kind
        object.set("spec.containers.0.image", "docker.io/evil/miner:latest")
        let decision = try Fixture.decide(object, operation: operation, subResource: subResource)
        #expect(decision.allowed)
        #expect(!decision.evaluated)
        #expect(decision.response(uid: "u") == AdmissionResponse(uid: "u", allowed: true))
    }

    @Test func unknownClassInThePathIsDeniedNamingTheKnownClasses() throws {
        let decision = try Fixture.decide(Fixture.pod(), className: "ephii")
        #expect(!decision.allowed)
        #expect(decision.ruleIDs == [.unknownClass])
        #expect(decision.violations[0].message.contains("\"ephii\""))
        #expect(decision.violations[0].message.contains("ephi, open, pci, plain, rollout"))
    }

    @Test func withoutAPathTheNamespaceThenTheDefaultClassApplies() throws {
        var pod = Fixture.pod()
        pod.set("spec.nodeSelector", nil)
        #expect(try Fixture.decide(pod, className: nil, namespace: "clinical").className == "ephi")
        #expect(try Fixture.decide(pod, className: nil, namespace: "clinical").ruleIDs == [.zoneResidency])
        let fallback = try Fixture.decide(pod, className: nil, namespace: "elsewhere")
        #expect(fallback.className == "open")
        #expect(fallback.allowed)
    }

    @Test func noDefaultClassFailsClosed() throws {
        let text = Fixture.policyText.replacingOccurrences(of: "defaultClass: open\n", with: "")
        let engine = PolicyEngine(policy: try PolicyDocument.parse(yaml: text), policySHA256: "")
        let request = try AdmissionReviewCodec.decodeRequest(Fixture.review(Fixture.pod(), namespace: "elsewhere"))
        let decision = engine.evaluate(request, classFromPath: nil, now: Fixture.now)
        #expect(decision.ruleIDs == [.unknownClass])
    }

    @Test func generatedNamesAreShownByTheirPrefix() throws {
        var pod = Fixture.pod()
        pod.set("metadata", ["generateName": "trainer-", "namespace": "clinical"])
        pod.set("spec.nodeSelector", nil)
        var review = Fixture.review(pod)
        review = Array(String(decoding: review, as: UTF8.self).replacingOccurrences(of: #""name":"p","#, with: "").utf8)
        let request = try AdmissionReviewCodec.decodeRequest(review)
        let decision = Fixture.engine.evaluate(request, classFromPath: "ephi", now: Fixture.now)
        #expect(decision.subject == #"Pod "trainer-*""#)
    }

    /// The subject every message of a decision starts with, for the pod's name as it arrives: quoted (a hostile
    /// name cannot forge a message), and the kind alone when nothing names the pod at all.
    @Test(arguments: [
        ("p", #"Pod "p""#), (#"a"b"#, #"Pod "a\"b""#), ("", "Pod"),
    ])
    func aBarePodIsNamedByItsQuotedName(name: String, subject: String) throws {
        var pod = Fixture.pod()
        pod.set("metadata.name", name.isEmpty ? nil : name)
        var review = Fixture.review(pod)
        if name.isEmpty {  // nor does the request
            review = Array(
                String(decoding: review, as: UTF8.self).replacingOccurrences(of: #""name":"p","#, with: "").utf8)
        }
        let request = try AdmissionReviewCodec.decodeRequest(review)
        let decision = Fixture.engine.evaluate(request, classFromPath: "ephi", now: Fixture.now)
        #expect(decision.subject == subject)
    }

    @Test func createWithoutAnObjectIsDenied() throws {
        let request = try AdmissionReviewCodec.decodeRequest(Fixture.review(nil))
        let decision = Fixture.engine.evaluate(request, classFromPath: "ephi", now: Fixture.now)
        #expect(decision.ruleIDs == [.unreadableObject])
    }
}
