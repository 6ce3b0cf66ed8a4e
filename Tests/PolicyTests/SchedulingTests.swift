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
