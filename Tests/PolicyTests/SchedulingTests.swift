import AdmissionAPI
import Foundation
import Testing

@testable import Policy

/// Ways around the scheduler: `spec.schedulerName` naming another scheduler, and `pods/binding` placing a
/// pod on a node directly. The fixture's `ephi` has zones, an accelerator pool and a dedicated taint, so it
/// depends on the scheduler; `plain` depends on nothing.
@Suite struct SchedulingTests {
    static let schedulerCases: [PodCase] = [
        PodCase("no schedulerName", []) { _ in },
        PodCase("the default scheduler by name", []) { pod in pod.set("spec.schedulerName", "default-scheduler") },
        PodCase("a custom scheduler", [.schedulerName]) { pod in pod.set("spec.schedulerName", "my-scheduler") },
        PodCase("a custom scheduler and a nodeName", [.schedulerName, .nodeName]) { pod in
            pod.set("spec.schedulerName", "my-scheduler")
            pod.set("spec.nodeName", "node-1")
        },
    ]

    @Test(arguments: schedulerCases)
    func schedulerNames(_ test: PodCase) throws {
        var pod = Fixture.pod()
        test.tweak(&pod)
        for object in [pod, Fixture.workload("Deployment", from: pod)] {
            let decision = try Fixture.decide(object)
            #expect(Set(decision.ruleIDs) == test.rules, "\(decision.violations.map(\.text))")
        }
    }

    @Test func customSchedulerMessageNamesFieldValueAndFix() throws {
        var pod = Fixture.workload("Job", from: Fixture.pod())
        pod.set("spec.template.spec.schedulerName", "volcano")
        let violation = try #require(try Fixture.decide(pod).violations.first)
        #expect(violation.path == "spec.template.spec.schedulerName")
        #expect(violation.message.contains(#"spec.template.spec.schedulerName is "volcano""#))
        #expect(violation.message.contains(#"class "ephi""#) && violation.message.contains("(default-scheduler)"))
    }

    @Test func unchangedSchedulerOnUpdateIsNotABypass() throws {
        var pod = Fixture.pod()
        pod.set("spec.schedulerName", "my-scheduler")
        #expect(try Fixture.decide(pod, operation: "UPDATE", oldObject: pod).ruleIDs == [])
    }

    @Test func classWithoutPlacementRulesMayUseAnyScheduler() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "registry.internal/app")
        pod.set("spec.schedulerName", "my-scheduler")
        #expect(try Fixture.decide(pod, className: "plain").ruleIDs == [])
    }

    @Test func classMayListTheSchedulersItTrusts() throws {
        let text = Fixture.policyText.replacingOccurrences(
            of: "    acceleratorNodePools: [ephi-gpu]\n",
            with: "    acceleratorNodePools: [ephi-gpu]\n    schedulerNames: [default-scheduler, volcano]\n")
        let engine = PolicyEngine(policy: try PolicyDocument.parse(yaml: text), policySHA256: "")
        func rules(_ scheduler: String) throws -> [RuleID] {
            var pod = Fixture.pod()
            pod.set("spec.schedulerName", scheduler)
            let request = try AdmissionReviewCodec.decodeRequest(Fixture.review(pod))
            return engine.evaluate(request, classFromPath: "ephi", now: Fixture.now).ruleIDs
        }
        #expect(try rules("volcano") == [])
        #expect(try rules("my-scheduler") == [.schedulerName])
    }
}

/// `pods/binding`: the fixture places `ephi-gpu-*` in ephi's pool and zone eu-a, `ephi-gpu-far-*` in the
/// same pool but zone us-x, `shared-gpu-*` in class open's pool with no zone, and the exact name
/// `ephi-gpu-exact` in open's pool, despite its prefix.
@Suite struct BindingTests {
    static func binding(to node: String?) -> JSONObject {
        var object: JSONObject = [
            "apiVersion": "v1", "kind": "Binding", "metadata": ["name": "p", "namespace": "clinical"],
        ]
        if let node { object["target"] = ["apiVersion": "v1", "kind": "Node", "name": node] }
        return object
    }

    static let cases: [(name: String, className: String, node: String?, username: String, rules: Set<RuleID>)] = [
        ("the scheduler binds anywhere", "ephi", "unknown-node", "system:kube-scheduler", []),
        ("someone else, to an unknown node in a regulated class", "ephi", "unknown-node", "alice", [.nodeBinding]),
        ("someone else, to an unknown node in a class with no placement rules", "plain", "unknown-node", "alice", []),
        ("to the class's own pool and zone", "ephi", "ephi-gpu-7", "alice", []),
        ("to its pool but another zone, by the longer prefix", "ephi", "ephi-gpu-far-7", "alice", [.nodeBinding]),
        ("an exact name wins over a prefix", "ephi", "ephi-gpu-exact", "alice", [.nodeBinding]),
        ("to another class's accelerator pool", "open", "ephi-gpu-7", "alice", [.nodeBinding]),
        ("to its own pool, zone not needed", "open", "shared-gpu-1", "alice", []),
        ("to a node whose zone is unknown, in a class with zones", "ephi", "shared-gpu-1", "alice", [.nodeBinding]),
        ("no target node", "plain", nil, "alice", [.nodeBinding]),
        ("to the class's own CPU pool", "cde", "cde-cpu-1", "alice", []),
        ("a class with CPU pools, to a shared pool", "cde", "default-pool-1", "alice", [.nodeBinding]),
        ("a class with CPU pools, to another class's accelerator pool", "cde", "shared-gpu-1", "alice", [.nodeBinding]),
        ("to another class's CPU pool", "plain", "cde-cpu-1", "alice", [.nodeBinding]),
        ("a class without CPU pools, to a shared pool", "plain", "default-pool-1", "alice", []),
    ]

    @Test(arguments: cases)
    func bindings(name: String, className: String, node: String?, username: String, rules: Set<RuleID>) throws {
        for subResource: String? in ["binding", nil] {
            let decision = try Fixture.decide(
                Self.binding(to: node), className: className, subResource: subResource, username: username)
            #expect(decision.evaluated, "\(name)")
            #expect(Set(decision.ruleIDs) == rules, "\(name): \(decision.violations.map(\.text))")
        }
    }

    @Test func bindingMessagesNameNodePoolAndFix() throws {
        let foreign = try Fixture.decide(Self.binding(to: "ephi-gpu-7"), className: "open")
        #expect(foreign.violations.first?.path == "target.name")
        #expect(
            foreign.violations.first?.message.contains(
                #"binds the pod to node "ephi-gpu-7" (target.name) as "alice", which is in node pool "ephi-gpu", an accelerator pool of class "ephi""#
            ) == true,
            "\(foreign.violations.map(\.text))")
        let unknown = try Fixture.decide(Self.binding(to: "n1"), className: "ephi")
        #expect(
            unknown.violations.first?.message.contains("only the scheduler (system:kube-scheduler) may bind") == true)
    }
}
