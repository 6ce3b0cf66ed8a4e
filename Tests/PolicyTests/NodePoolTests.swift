import Testing

@testable import Policy

/// Rule `node-pool`: class `cde` runs only on its pools cde-cpu and cde-batch; no other class may select them.
/// Accelerator pods are left to `gpu-pool`.
@Suite struct NodePoolTests {
    static let pool = "pool"

    /// The smallest pod class `cde` allows: one image from its registry on its CPU pool.
    static func cdePod() -> JSONObject {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "registry.internal/cde/api:1")
        pod.set("spec.nodeSelector", [pool: "cde-cpu"])
        return pod
    }

    static let cdeCases: [PodCase] = [
        PodCase("nodeSelector on its own pool", []) { _ in },
        PodCase("no pool at all (the shared pool is reachable)", [.nodePool]) { pod in
            pod.set("spec.nodeSelector", nil)
        },
        PodCase("a zone but no pool", [.nodePool]) { pod in
            pod.set("spec.nodeSelector", ["topology.kubernetes.io/zone": "eu-a"])
        },
        PodCase("the shared default pool", [.nodePool]) { pod in pod.set("spec.nodeSelector", [pool: "default-pool"]) },
        PodCase("another class's accelerator pool", [.nodePool]) { pod in
            pod.set("spec.nodeSelector", [pool: "ephi-gpu"])
        },
        PodCase("affinity In its pools", []) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set(
                "spec.affinity",
                PlacementTests.affinity([[PlacementTests.expression("In", ["cde-cpu", "cde-batch"], key: pool)]]))
        },
        PodCase("affinity In with a shared pool", [.nodePool]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set(
                "spec.affinity",
                PlacementTests.affinity([[PlacementTests.expression("In", ["cde-cpu", "default-pool"], key: pool)]]))
        },
        PodCase("affinity NotIn proves nothing", [.nodePool]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set(
                "spec.affinity",
                PlacementTests.affinity([[PlacementTests.expression("NotIn", ["default-pool"], key: pool)]]))
        },
        PodCase("one term confined, one open (terms are ORed)", [.nodePool]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set(
                "spec.affinity",
                PlacementTests.affinity([
                    [PlacementTests.expression("In", ["cde-cpu"], key: pool)],
                    [PlacementTests.expression("In", ["ssd"], key: "disk")],
                ]))
        },
        PodCase("nodeSelector confined and an open affinity term (they AND)", []) { pod in
            pod.set("spec.affinity", PlacementTests.affinity([[PlacementTests.expression("In", ["ssd"], key: "disk")]]))
        },
        PodCase("blanket toleration in a class with dedicated pools", [.blanketToleration]) { pod in
            pod.set("spec.tolerations", [["operator": "Exists"]])
        },
        PodCase("nodeName bypasses the pools", [.nodeName]) { pod in pod.set("spec.nodeName", "cde-cpu-1") },
        PodCase("an accelerator pod is judged by gpu-pool instead", [.gpuPool, .gpuToleration]) { pod in
            pod.set("spec.containers.0.resources.limits", ["nvidia.com/gpu": "1"])
        },
    ]

    @Test(arguments: cdeCases)
    func confinedToItsPools(_ test: PodCase) throws {
        try test.expectRules(on: Self.cdePod(), className: "cde")
    }

    /// Classes without `nodePools` may use any pool but those another class dedicates.
    static let otherClassCases: [PodCase] = [
        PodCase("no pool", []) { pod in pod.set("spec.nodeSelector", nil) },
        PodCase("a shared pool", []) { pod in pod.set("spec.nodeSelector", [pool: "default-pool"]) },
        PodCase("the cde pool by nodeSelector", [.nodePool]) { pod in pod.set("spec.nodeSelector", [pool: "cde-cpu"]) },
        PodCase("the cde pool by affinity", [.nodePool]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set(
                "spec.affinity",
                PlacementTests.affinity([[PlacementTests.expression("In", ["default-pool", "cde-batch"], key: pool)]]))
        },
        PodCase("NotIn the cde pool names it only to avoid it", []) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set(
                "spec.affinity", PlacementTests.affinity([[PlacementTests.expression("NotIn", ["cde-cpu"], key: pool)]])
            )
        },
        PodCase("another class's accelerator pool, without an accelerator", [.nodePool]) { pod in
            pod.set("spec.nodeSelector", [pool: "ephi-gpu"])
        },
    ]

    @Test(arguments: otherClassCases)
    func otherClassesStayOffDedicatedPools(_ test: PodCase) throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "registry.internal/app:1")
        try test.expectRules(on: pod, className: "plain")
    }

    @Test func messageNamesFieldValueOwnerAndFix() throws {
        var pod = Self.cdePod()
        pod.set("spec.nodeSelector", [Self.pool: "default-pool"])
        let cde = try #require(try Fixture.decide(pod, className: "cde").violations.first)
        #expect(cde.path == "spec.nodeSelector")
        #expect(
            cde.text
                == "[node-pool] Pod \"p\": spec.nodeSelector selects node pool pool=\"default-pool\"; class \"cde\""
                + " runs only on node pools cde-cpu, cde-batch")
        pod.set("spec.nodeSelector", nil)
        let unconfined = try #require(try Fixture.decide(pod, className: "cde").violations.first)
        #expect(unconfined.message.contains("set nodeSelector pool to one of cde-cpu, cde-batch"), "\(unconfined.text)")
        var plain = Fixture.pod()
        plain.set("spec.containers.0.image", "registry.internal/app:1")
        plain.set("spec.nodeSelector", [Self.pool: "cde-cpu"])
        let foreign = try #require(try Fixture.decide(plain, className: "plain").violations.first)
        #expect(foreign.message.contains("pool=\"cde-cpu\", a pool of class \"cde\""), "\(foreign.text)")
        #expect(foreign.message.contains("may not run on another class's dedicated pools"))
    }
}
