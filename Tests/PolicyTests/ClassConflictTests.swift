import AdmissionAPI
import Foundation
import Testing

@testable import Policy

/// A webhook path that disagrees with `namespaceClasses` (a configuration older than the policy) never weakens a
/// check: the stricter class decides, and the decision says so. The fixture policy maps `clinical` to `ephi`.
@Suite struct ClassConflictTests {
    /// A pod `open` allows and `ephi` denies (its image is not from ephi's registry).
    static func openPod() -> JSONObject {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "docker.io/library/busybox:1.36")
        return pod
    }

    @Test func aWeakerPathIsOverruledByTheMappedClass() throws {
        let decision = try Fixture.decide(Self.openPod(), className: "open", namespace: "clinical")
        #expect(!decision.allowed)
        #expect(decision.className == "ephi")
        let conflict = try #require(decision.classConflict)
        #expect(conflict.contains("path names class \"open\""))
        #expect(conflict.contains("maps namespace \"clinical\" to \"ephi\""))
        #expect(conflict.contains("decided in the stricter \"ephi\""))
        let response = decision.response(uid: "u")
        #expect(response.warnings?.contains { $0.hasPrefix("portcullis: the webhook path names class") } == true)
    }

    @Test func aStricterPathIsKeptOverAWeakerMapping() throws {
        let policy = try PolicyDocument.parse(
            yaml: Fixture.policyText.replacingOccurrences(of: "  clinical: ephi", with: "  clinical: open"))
        let engine = PolicyEngine(policy: policy, policySHA256: "")
        let request = try AdmissionReviewCodec.decodeRequest(
            Fixture.review(Self.openPod(), namespace: "clinical"))
        let decision = engine.evaluate(request, classFromPath: "ephi", now: Fixture.now)
        #expect(!decision.allowed)
        #expect(decision.className == "ephi")
        #expect(decision.classConflict?.contains("decided in the stricter \"ephi\"") == true)
    }

    @Test func agreementOrAnUnmappedNamespaceIsNoConflict() throws {
        #expect(try Fixture.decide(Fixture.pod(), className: "ephi", namespace: "clinical").classConflict == nil)
        #expect(try Fixture.decide(Self.openPod(), className: "open", namespace: "team-x").classConflict == nil)
        #expect(try Fixture.decide(Self.openPod(), className: "open", namespace: "team-x").allowed)
    }
}
