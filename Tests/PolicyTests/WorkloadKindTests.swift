import AdmissionAPI
import Foundation
import Testing

@testable import Policy

/// Kinds with pod templates by configuration (`workloadKinds`): the fixture policy names KubeRay's RayCluster (a head
/// and a list of worker groups) and Kubeflow's PyTorchJob (a map of replica types); ReplicationController is built in.
@Suite struct WorkloadKindTests {
    static func rayCluster(workers: [JSONObject]) -> JSONObject {
        [
            "apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": ["name": "rc", "namespace": "clinical"],
            "spec": [
                "headGroupSpec": ["rayStartParams": [:], "template": ["spec": Fixture.pod()["spec"]!]],
                "workerGroupSpecs": workers.map { ["groupName": "g", "template": ["spec": $0["spec"]!]] },
            ],
        ]
    }

    static func foreignImage() -> JSONObject {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "docker.io/library/python:3")
        return pod
    }

    static let cases: [PodCase] = [
        PodCase("head and every worker group allowed", []) { _ in },
        PodCase("a bad image in the second worker group", [.imageDigest, .registryOrigin]) { object in
            object.set("spec.workerGroupSpecs.1.template.spec.containers.0.image", "docker.io/library/python:3")
        },
        PodCase("an unconfined head", [.zoneResidency]) { object in
            object.set("spec.headGroupSpec.template.spec.nodeSelector", nil)
        },
        PodCase("no worker groups at all", []) { object in object.set("spec.workerGroupSpecs", nil) },
        PodCase("a null head template", []) { object in object.set("spec.headGroupSpec.template", NSNull()) },
    ]

    @Test(arguments: cases)
    func rayClusterTemplates(_ test: PodCase) throws {
        try test.expectRules(on: Self.rayCluster(workers: [Fixture.pod(), Fixture.pod()]))
    }

    @Test func messagesNameTheTemplatePath() throws {
        let decision = try Fixture.decide(Self.rayCluster(workers: [Fixture.pod(), Self.foreignImage()]))
        #expect(
            decision.violations.allSatisfy { $0.path == "spec.workerGroupSpecs[1].template.spec.containers[0].image" })
        #expect(
            decision.violations.first?.message.hasPrefix(
                #"RayCluster "rc" pod template spec.workerGroupSpecs[1].template: container "main""#) == true,
            "\(decision.violations.map(\.text))")
        #expect(decision.images.count == 3, "every template's images are listed")
    }

    @Test func mapsOfReplicaTypesAreJudgedByKey() throws {
        let job: JSONObject = [
            "apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": ["name": "pj", "namespace": "clinical"],
            "spec": [
                "pytorchReplicaSpecs": [
                    "Master": ["template": ["spec": Fixture.pod()["spec"]!]],
                    "Worker": ["template": ["spec": Self.foreignImage()["spec"]!]],
                ]
            ],
        ]
        let decision = try Fixture.decide(job)
        #expect(Set(decision.ruleIDs) == [.imageDigest, .registryOrigin])
        #expect(decision.violations.first?.path == "spec.pytorchReplicaSpecs.Worker.template.spec.containers[0].image")
    }

    @Test func aRepeatedMemberOnTheWayIsUnreadable() throws {
        let json = #"""
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"ray.io",
            "version":"v1","kind":"RayCluster"},"resource":{"group":"ray.io","version":"v1","resource":"rayclusters"},
            "namespace":"clinical","name":"rc","operation":"CREATE","userInfo":{"username":"a"},"object":{"kind":
            "RayCluster","metadata":{"name":"rc"},"spec":{"headGroupSpec":{"template":{"spec":{"containers":[{"name":"a",
            "image":"registry.internal/ephi/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}],
            "nodeSelector":{"topology.kubernetes.io/zone":"eu-a"}}}},"headGroupSpec":{"template":{"spec":{"containers":
            [{"name":"b","image":"docker.io/evil:1"}]}}}}}}}
            """#
        let request = try AdmissionReviewCodec.decodeRequest(Array(json.utf8))
        let decision = Fixture.engine.evaluate(request, classFromPath: "ephi", now: Fixture.now)
        #expect(decision.ruleIDs == [.unreadableObject])
        #expect(decision.violations.first?.message.contains("duplicate key \"headGroupSpec\"") == true)
    }

    @Test func unknownCustomResourcesStayOutOfScope() throws {
        var object = Self.rayCluster(workers: [Self.foreignImage()])
        object["apiVersion"] = "example.com/v1"
        object["kind"] = "Widget"
        let decision = try Fixture.decide(object)
        #expect(!decision.evaluated && decision.allowed)
    }

    @Test func replicationControllerTemplatesAreChecked() throws {
        var controller = Fixture.workload("Deployment", from: Self.foreignImage())
        controller["apiVersion"] = "v1"
        controller["kind"] = "ReplicationController"
        let decision = try Fixture.decide(controller)
        #expect(decision.evaluated)
        #expect(Set(decision.ruleIDs) == [.imageDigest, .registryOrigin])
        #expect(decision.violations.first?.path == "spec.template.spec.containers[0].image")
    }

    @Test func anUpdateOfOneWorkerGroupIsJudgedOnItAlone() throws {
        var tagOnly = Fixture.pod()
        tagOnly.set("spec.containers.0.image", "registry.internal/ephi/ray:2.40")
        let old = Self.rayCluster(workers: [tagOnly, Fixture.pod()])
        var scaled = old
        scaled.set("spec.workerGroupSpecs.1.replicas", 8)
        let unchanged = try Fixture.decide(scaled, operation: "UPDATE", oldObject: old)
        #expect(unchanged.allowed && unchanged.updateReason?.hasPrefix("unchanged placement and images") == true)
        var retagged = old
        retagged.set("spec.workerGroupSpecs.1.template.spec.containers.0.image", "registry.internal/ephi/ray:2.41")
        let judged = try Fixture.decide(retagged, operation: "UPDATE", oldObject: old)
        #expect(judged.ruleIDs == [.imageDigest])
        #expect(judged.violations.map(\.path) == ["spec.workerGroupSpecs[1].template.spec.containers[0].image"])
    }

    static let badKinds: [(yaml: String, message: String)] = [
        ("[{group: apps, kind: Foo, templates: [spec.template]}]", "is built in"),
        ("[{group: ray.io, kind: RayCluster, templates: [template]}]", "must start with spec."),
        ("[{group: ray.io, kind: RayCluster, templates: [\"spec.a[0]\"]}]", "name[*]"),
        ("[{group: ray.io, kind: RayCluster}]", "templates"),
        (
            "[{group: ray.io, kind: R, templates: [spec.t]}, {group: ray.io, kind: R, templates: [spec.t]}]",
            "listed twice"
        ),
    ]

    @Test(arguments: badKinds)
    func badWorkloadKindsAreLintErrors(yaml: String, message: String) {
        let text =
            "apiVersion: portcullis.dev/v1\nkind: Policy\nworkloadKinds: \(yaml)\nclasses:\n  a: {registries: [r.io]}\n"
        #expect(throws: PolicyLoadError.self) { try PolicyDocument.parse(yaml: text) }
        do {
            _ = try PolicyDocument.parse(yaml: text)
        } catch {
            #expect(error.issues.contains { $0.message.contains(message) }, "\(error.issues.map(\.message))")
        }
    }
}
