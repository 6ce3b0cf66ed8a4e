import Testing

@testable import Policy

/// Zone and region residency through nodeSelector and required node affinity, and the nodeName bypass.
/// Class `ephi` allows zones eu-a and eu-b; class `pci` allows region us-east.
@Suite struct PlacementTests {
    static let zone = "topology.kubernetes.io/zone"

    static func affinity(_ terms: [[[String: Any]]]) -> [String: Any] {
        [
            "nodeAffinity": [
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    "nodeSelectorTerms": terms.map { ["matchExpressions": $0] }
                ]
            ]
        ]
    }

    static func expression(_ op: String, _ values: [String] = [], key: String = zone) -> [String: Any] {
        values.isEmpty ? ["key": key, "operator": op] : ["key": key, "operator": op, "values": values]
    }

    static let cases: [PodCase] = [
        PodCase("nodeSelector with an allowed zone", []) { _ in },
        PodCase("deprecated zone key counts the same", []) { pod in
            pod.set("spec.nodeSelector", ["failure-domain.beta.kubernetes.io/zone": "eu-b"])
        },
        PodCase("nodeSelector with another zone", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", [zone: "us-x"])
        },
        PodCase("no placement at all", [.zoneResidency]) { pod in pod.set("spec.nodeSelector", nil) },
        PodCase("affinity In allowed zones", []) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([[expression("In", ["eu-a", "eu-b"])]]))
        },
        PodCase("affinity In with one foreign zone", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([[expression("In", ["eu-a", "us-x"])]]))
        },
        PodCase("affinity In with no values", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([[expression("In", [])]]))
        },
        PodCase("affinity NotIn never proves residency", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([[expression("NotIn", ["us-x"])]]))
        },
        PodCase("affinity Exists", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([[expression("Exists")]]))
        },
        PodCase("affinity DoesNotExist", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([[expression("DoesNotExist")]]))
        },
        PodCase("affinity Gt", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([[expression("Gt", ["1"])]]))
        },
        PodCase("affinity Lt", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([[expression("Lt", ["9"])]]))
        },
        PodCase("every term constrained", []) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([[expression("In", ["eu-a"])], [expression("In", ["eu-b"])]]))
        },
        PodCase("one of several terms unconstrained (terms are ORed)", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set(
                "spec.affinity", affinity([[expression("In", ["eu-a"])], [expression("In", ["ssd"], key: "disk")]]))
        },
        PodCase("In and NotIn in one term (ANDed)", []) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([[expression("In", ["eu-a", "eu-b"]), expression("NotIn", ["eu-b"])]]))
        },
        PodCase("preferred affinity never counts", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set(
                "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution",
                [["weight": 100, "preference": ["matchExpressions": [expression("In", ["eu-a"])]]]])
        },
        PodCase("matchFields names a node, not a zone", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set(
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
                [["matchFields": [["key": "metadata.name", "operator": "In", "values": ["node-1"]]]]])
        },
        PodCase("empty term list", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([]))
        },
        PodCase("nodeSelector allowed and an open affinity term (they AND)", []) { pod in
            pod.set("spec.affinity", affinity([[expression("In", ["ssd"], key: "disk")]]))
        },
        PodCase("nodeSelector without zone and a constraining affinity", []) { pod in
            pod.set("spec.nodeSelector", ["disk": "ssd"])
            pod.set("spec.affinity", affinity([[expression("In", ["eu-b"])]]))
        },
        PodCase("nodeSelector allowed but affinity names a foreign zone", [.zoneResidency]) { pod in
            pod.set("spec.affinity", affinity([[expression("In", ["us-x"])]]))
        },
        PodCase("nodeName bypasses the scheduler", [.nodeName]) { pod in pod.set("spec.nodeName", "node-7") },
        // Kubernetes: a term with neither matchExpressions nor matchFields matches no node, so it adds none.
        PodCase("an empty term beside a confining one matches no node", []) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([[expression("In", ["eu-a"])], []]))
        },
        PodCase("only an empty term: the pod fits no node at all", []) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([[]]))
        },
        PodCase("an empty term does not excuse an open one", [.zoneResidency]) { pod in
            pod.set("spec.nodeSelector", nil)
            pod.set("spec.affinity", affinity([[], [expression("Exists")]]))
        },
    ]

    @Test(arguments: cases)
    func zoneResidency(_ test: PodCase) throws {
        try test.expectRules(on: Fixture.pod())
    }

    @Test func regionResidency() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "registry.internal/pci/app")
        pod.set("spec.nodeSelector", ["topology.kubernetes.io/region": "us-east"])
        #expect(try Fixture.decide(pod, className: "pci").allowed)
        pod.set("spec.nodeSelector", ["failure-domain.beta.kubernetes.io/region": "eu-west"])
        #expect(try Fixture.decide(pod, className: "pci").ruleIDs == [.zoneResidency])
        pod.set("spec.nodeSelector", ["topology.kubernetes.io/zone": "us-east-1a"])
        #expect(try Fixture.decide(pod, className: "pci").ruleIDs == [.zoneResidency])
    }

    /// A zone lies in a region: by the policy's `zoneRegions`, else by the clouds' naming (`us-east-b` → `us-east`).
    @Test(arguments: [
        (["topology.kubernetes.io/zone": "us-east-b"], [RuleID]()),
        (["failure-domain.beta.kubernetes.io/zone": "us-east-1a"], [.zoneResidency]),
        (["topology.kubernetes.io/zone": "eu-west-a"], [.zoneResidency]),
        (["topology.kubernetes.io/zone": "dc7"], [.zoneResidency]),
        (["topology.kubernetes.io/zone": "az1"], []),
    ])
    func zonesLieInRegions(selector: [String: String], rules: [RuleID]) throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "registry.internal/pci/app")
        pod.set("spec.nodeSelector", selector)
        let decision = try Fixture.decide(pod, className: "pci")
        #expect(decision.ruleIDs == rules, "\(decision.violations.map(\.text))")
    }

    @Test func affinityZonesLieInRegionsTermByTerm() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "registry.internal/pci/app")
        pod.set("spec.nodeSelector", nil)
        pod.set("spec.affinity", Self.affinity([[Self.expression("In", ["us-east-a", "us-east-b"])]]))
        #expect(try Fixture.decide(pod, className: "pci").allowed)
        pod.set("spec.affinity", Self.affinity([[Self.expression("In", ["us-east-a", "eu-west-b"])]]))
        let denied = try Fixture.decide(pod, className: "pci")
        #expect(denied.ruleIDs == [.zoneResidency])
        #expect(denied.violations.first?.message.contains(#"topology.kubernetes.io/zone="eu-west-b""#) == true)
    }

    @Test func unconfinedMessageSaysWhichTermAndWhatWouldDo() throws {
        var pod = Fixture.pod()
        pod.set("spec.nodeSelector", nil)
        pod.set(
            "spec.affinity",
            Self.affinity([[Self.expression("In", ["eu-a"])], [Self.expression("NotIn", ["us-x"])]]))
        let message = try #require(try Fixture.decide(pod).violations.first).message
        #expect(message.contains("term 1"))
        #expect(message.contains("eu-a, eu-b"))
        #expect(message.contains("class \"ephi\""))
    }

    @Test func nodeNameOnAClassWithoutPlacementRulesIsAllowed() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "registry.internal/app:1")
        pod.set("spec.nodeName", "node-7")
        #expect(try Fixture.decide(pod, className: "plain").allowed)
        #expect(try Fixture.decide(pod, className: "open").ruleIDs == [.nodeName], "open has a GPU pool")
    }

    @Test func boundPodUpdateKeepsItsNodeName() throws {
        var old = Fixture.pod()
        old.set("spec.nodeName", "node-7")
        var new = old
        new.set("spec.containers.0.image", "registry.internal/ephi/app2@\(Fixture.digest)")
        #expect(try Fixture.decide(new, operation: "UPDATE", oldObject: old).allowed)
        new.set("spec.nodeName", "node-8")
        #expect(try Fixture.decide(new, operation: "UPDATE", oldObject: old).ruleIDs == [.nodeName])
    }
}
