import Testing

@testable import Policy

/// Significant-update semantics: an UPDATE is judged only on what it changes that a rule reads. The cases are the
/// updates controllers really make to a pod created before class `ephi` required digests (its image is tag-only).
@Suite struct UpdateTests {
    static let tagOnly = "registry.internal/ephi/app:1.4"

    /// A running Job pod as the API server holds it: tag-only image, controller metadata and a status.
    static func runningPod() -> JSONObject {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", tagOnly)
        pod.set("metadata.finalizers", ["batch.kubernetes.io/job-tracking"])
        pod.set("metadata.labels", ["batch.kubernetes.io/job-name": "rrs-finetune", "app": "rrs"])
        pod.set("metadata.annotations", ["batch.kubernetes.io/job-completion-index": "0"])
        pod.set("metadata.resourceVersion", "4711")
        pod.set("metadata.uid", "9b1c")
        pod.set(
            "metadata.ownerReferences",
            [["apiVersion": "batch/v1", "kind": "Job", "name": "rrs-finetune", "uid": "j1"]])
        pod.set("spec.nodeName", "gke-prod-ephi-cpu-1")
        pod.set("status", ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]])
        return pod
    }

    static let cases: [PodCase] = [
        PodCase("the Job controller removes its tracking finalizer", []) { pod in pod.set("metadata.finalizers", nil) },
        PodCase("a label is edited", []) { pod in pod.set("metadata.labels.app", "rrs-v2") },
        PodCase("an annotation is added", []) { pod in pod.set("metadata.annotations.owner", "team-nlp") },
        PodCase("status-like metadata changes", []) { pod in
            pod.set("metadata.resourceVersion", "4712")
            pod.set("metadata.generation", 2)
            pod.set("metadata.deletionTimestamp", "2026-12-01T10:00:00Z")
            pod.set("metadata.deletionGracePeriodSeconds", 30)
            pod.set("metadata.managedFields", [["manager": "kube-controller-manager", "operation": "Update"]])
        },
        PodCase("the status block changes", []) { pod in pod.set("status.phase", "Succeeded") },
        PodCase("the image changes to another tag", [.imageDigest]) { pod in
            pod.set("spec.containers.0.image", "registry.internal/ephi/app:1.5")
        },
        PodCase("the image changes to a foreign registry", [.imageDigest, .registryOrigin]) { pod in
            pod.set("spec.containers.0.image", "docker.io/library/busybox:1")
        },
        PodCase("a toleration of another class's taint is added", [.foreignTaint]) { pod in
            pod.set(
                "spec.tolerations", [["key": "dedicated", "operator": "Equal", "value": "pci", "effect": "NoSchedule"]])
        },
        PodCase("the node selection moves to a foreign zone", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", ["topology.kubernetes.io/zone": "us-x"])
        },
        PodCase("the affinity becomes unconfined", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", PlacementTests.affinity([[PlacementTests.expression("Exists")]]))
        },
        PodCase("nodeName changes", [.nodeName]) { pod in pod.set("spec.nodeName", "gke-prod-shared-1") },
        PodCase("schedulerName changes", [.schedulerName]) { pod in pod.set("spec.schedulerName", "volcano") },
        PodCase("a GPU is added to the resources", [.gpuPool, .gpuToleration]) { pod in
            pod.set("spec.containers.0.resources.limits", ["nvidia.com/gpu": "1"])
        },
        PodCase("a resource claim is added", [.gpuPool, .gpuToleration]) { pod in
            pod.set("spec.resourceClaims", [["name": "gpu", "resourceClaimTemplateName": "a100"]])
        },
        PodCase("a hostPath volume is added", [.volumeType]) { pod in
            pod.set("spec.volumes", [["name": "logs", "hostPath": ["path": "/var/log"]]])
        },
    ]

    @Test(arguments: cases)
    func controllerUpdates(_ test: PodCase) throws {
        let old = Self.runningPod()
        var new = old
        test.tweak(&new)
        let decision = try Fixture.decide(new, operation: "UPDATE", oldObject: old)
        #expect(decision.evaluated)
        #expect(Set(decision.ruleIDs) == test.rules, "\(decision.violations.map(\.text))")
        #expect(decision.allowed == test.rules.isEmpty)
    }

    @Test func anUnchangedUpdateSaysWhyItIsAllowed() throws {
        let old = Self.runningPod()
        var new = old
        new.set("metadata.finalizers", nil)
        let decision = try Fixture.decide(new, operation: "UPDATE", oldObject: old)
        #expect(decision.allowed && decision.violations.isEmpty)
        let reason = try #require(decision.updateReason)
        #expect(reason.hasPrefix("unchanged placement and images"), "\(reason)")
        #expect(decision.className == "ephi")
        #expect(decision.images == [Self.tagOnly], "the audit line still lists what runs")
    }

    @Test func aChangedUpdateNamesWhatItWasJudgedOn() throws {
        let old = Self.runningPod()
        var new = old
        new.set("spec.containers.0.image", "registry.internal/ephi/app:1.5")
        let decision = try Fixture.decide(new, operation: "UPDATE", oldObject: old)
        let reason = try #require(decision.updateReason)
        #expect(reason.contains("spec.containers[0].image"), "\(reason)")
    }

    /// `kubectl debug` on the old pod: only the new ephemeral container's image is judged.
    @Test func anEphemeralContainerIsJudgedAloneOnItsPod() throws {
        let old = Self.runningPod()
        var new = old
        new.set("spec.ephemeralContainers", [["name": "debug", "image": Fixture.image]])
        #expect(
            try Fixture.decide(new, operation: "UPDATE", oldObject: old, subResource: "ephemeralcontainers").allowed)
        new.set("spec.ephemeralContainers.0.image", "docker.io/library/busybox:1")
        let denied = try Fixture.decide(new, operation: "UPDATE", oldObject: old, subResource: "ephemeralcontainers")
        #expect(Set(denied.ruleIDs) == [.imageDigest, .registryOrigin])
        #expect(denied.violations.allSatisfy { $0.path == "spec.ephemeralContainers[0].image" })
    }

    @Test func aWorkloadScaledButNotChangedIsAllowed() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", Self.tagOnly)
        let old = Fixture.workload("Deployment", from: pod)
        var new = old
        new.set("spec.replicas", 5)
        #expect(try Fixture.decide(new, operation: "UPDATE", oldObject: old).allowed)
        new.set("spec.template.spec.containers.0.image", "registry.internal/ephi/app:1.5")
        #expect(try Fixture.decide(new, operation: "UPDATE", oldObject: old).ruleIDs == [.imageDigest])
    }

    /// A CREATE, and an UPDATE without its old object, are judged whole.
    @Test func withoutAnOldObjectEverythingIsJudged() throws {
        let pod = Self.runningPod()
        #expect(try Fixture.decide(pod).ruleIDs == [.imageDigest, .nodeName])
        #expect(try Fixture.decide(pod, operation: "UPDATE").ruleIDs == [.imageDigest, .nodeName])
    }
}
