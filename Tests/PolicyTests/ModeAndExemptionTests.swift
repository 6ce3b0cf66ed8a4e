import AdmissionAPI
import Foundation
import Testing

@testable import Policy

/// Enforcement modes with per-rule overrides, and exemptions. Class `rollout` is in warn mode, with
/// registry-origin overridden to enforce and image-digest to audit.
@Suite struct ModeAndExemptionTests {
    static func rolloutPod() -> JSONObject {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "registry.internal/app@\(Fixture.digest)")
        return pod
    }

    @Test func warnModeAllowsWithAWarning() throws {
        var pod = Self.rolloutPod()
        pod.set("spec.nodeSelector", nil)
        let decision = try Fixture.decide(pod, className: "rollout")
        #expect(decision.allowed)
        #expect(decision.violations.map(\.mode) == [.warn])
        let response = decision.response(uid: "u")
        #expect(response.allowed)
        #expect(response.warnings?.count == 1)
        #expect(response.warnings?[0].hasPrefix("[zone-residency]") == true)
    }

    @Test func perRuleOverrideEnforces() throws {
        var pod = Self.rolloutPod()
        pod.set("spec.containers.0.image", "ghcr.io/x/app@\(Fixture.digest)")
        let decision = try Fixture.decide(pod, className: "rollout")
        #expect(!decision.allowed)
        #expect(decision.violations.map(\.mode) == [.enforce])
    }

    @Test func auditModeIsRecordedOnly() throws {
        var pod = Self.rolloutPod()
        pod.set("spec.containers.0.image", "registry.internal/app:1.0")
        let decision = try Fixture.decide(pod, className: "rollout")
        #expect(decision.allowed)
        #expect(decision.violations.map(\.mode) == [.audit])
        let response = decision.response(uid: "u")
        #expect(response.warnings == nil)
        #expect(response.auditAnnotations?["audit-rules"] == "image-digest")
    }

    @Test func namespaceExemptionLiftsOnlyItsRulesAndIsRecorded() throws {
        var pod = Fixture.pod()
        pod.set("spec.nodeSelector", nil)
        let decision = try Fixture.decide(pod, namespace: "platform")
        #expect(decision.allowed)
        #expect(decision.exemptions.map(\.ruleID) == [.zoneResidency])
        #expect(decision.exemptions[0].reason.contains("PLAT-1"))
        #expect(decision.response(uid: "u").auditAnnotations?["exempted-rules"] == "zone-residency")
        pod.set("spec.containers.0.image", "docker.io/x/y@\(Fixture.digest)")
        #expect(try Fixture.decide(pod, namespace: "platform").ruleIDs == [.registryOrigin])
    }

    @Test func imageExemptionMatchesTheNormalisedRepositoryAndOnlyItsRules() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "nvidia/dcgm-exporter:3.3.5")
        let decision = try Fixture.decide(pod)
        #expect(decision.exemptions.map(\.ruleID) == [.registryOrigin])
        #expect(decision.ruleIDs == [.imageDigest])
        pod.set("spec.containers.0.image", "nvidia/dcgm-exporter-fork@\(Fixture.digest)")
        #expect(try Fixture.decide(pod).ruleIDs == [.registryOrigin])
    }

    @Test func expiredExemptionNoLongerApplies() throws {
        var pod = Fixture.pod()
        pod.set("spec.nodeSelector", nil)
        #expect(try Fixture.decide(pod, namespace: "legacy", now: Fixture.longAgo).allowed)
        #expect(try Fixture.decide(pod, namespace: "legacy", now: Fixture.now).ruleIDs == [.zoneResidency])
    }
}

/// The AdmissionResponse a decision turns into, as the API server will read it.
@Suite struct ResponseTests {
    @Test func denialJoinsEveryViolation() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "pytorch/pytorch:2.3")
        pod.set("spec.nodeSelector", nil)
        let decision = try Fixture.decide(pod)
        let response = decision.response(uid: "uid-9")
        #expect(response.uid == "uid-9")
        #expect(!response.allowed)
        #expect(response.status?.code == 403)
        for rule in ["registry-origin", "image-digest", "zone-residency"] {
            #expect(response.status?.message.contains("[\(rule)]") == true)
        }
        #expect(response.auditAnnotations?["enforce-rules"] == "image-digest,registry-origin,zone-residency")
        #expect(response.auditAnnotations?["policy-sha256"] == "test-sha")
        #expect(response.auditAnnotations?["data-class"] == "ephi")
    }

    /// The API server passes warnings on whole while they total at most 4 KiB, and cuts each to 256 characters only
    /// beyond that; so a warning keeps its remediation, and a flood still fits.
    @Test func warningsAreSingleLineAndWithinTheAPIServersLimits() throws {
        var pod = ModeAndExemptionTests.rolloutPod()
        pod.set("spec.nodeSelector", nil)
        pod.set("metadata.name", "evil\nname\u{7}" + String(repeating: "x", count: 200))
        let warnings = try #require(try Fixture.decide(pod, className: "rollout").response(uid: "u").warnings)
        #expect(!warnings.isEmpty)
        #expect(warnings.reduce(0) { $0 + $1.utf8.count } <= Decision.maxWarningsBytes)
        for warning in warnings {
            #expect(!warning.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        }
        #expect(
            warnings.contains {
                $0.hasSuffix("or a required node affinity whose every term has topology.kubernetes.io/zone In [eu-a]")
            },
            "the remediation is shown: \(warnings)")
    }

    @Test func aFloodOfWarningsIsCutAsTheAPIServerWould() {
        let long = String(repeating: "w", count: 1000)
        let fitted = Decision.fitWarnings(Array(repeating: long, count: 10))
        #expect(fitted.reduce(0) { $0 + $1.utf8.count } <= Decision.maxWarningsBytes)
        #expect(fitted.allSatisfy { $0.count <= Decision.truncatedWarningLength })
        #expect(fitted.count == 10, "ten cut warnings fit in 4 KiB")
        #expect(Decision.fitWarnings(["a", "b"]) == ["a", "b"])
        #expect(Decision.fitWarnings([long, long]) == [long, long], "under 4 KiB nothing is cut")
    }

    @Test func auditAnnotationKeysAreValidQualifiedNames() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "pytorch/pytorch:2.3")
        pod.set("spec.nodeSelector", nil)
        let keys = try #require(try Fixture.decide(pod, namespace: "platform").response(uid: "u").auditAnnotations).keys
        #expect(keys.count >= 4)
        for key in keys {
            let bytes = Array(key.utf8)
            let alnum: (UInt8) -> Bool = { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
            #expect(bytes.count <= 63)
            #expect(alnum(bytes.first!) && alnum(bytes.last!))
            #expect(
                bytes.allSatisfy {
                    alnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
                })
        }
    }

    @Test func encodedResponseIsAnAdmissionReviewWithoutPatch() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.name", "quote\"and\nnewline")
        pod.set("spec.containers.0.image", "pytorch/pytorch:2.3")
        let response = try Fixture.decide(pod).response(uid: "uid-3")
        let bytes = AdmissionReviewCodec.encodeResponse(response)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(json["apiVersion"] as? String == "admission.k8s.io/v1")
        #expect(json["kind"] as? String == "AdmissionReview")
        #expect(json["request"] == nil)
        let body = try #require(json["response"] as? [String: Any])
        #expect(body["uid"] as? String == "uid-3")
        #expect(body["allowed"] as? Bool == false)
        #expect(body["patch"] == nil && body["patchType"] == nil)
        let status = try #require(body["status"] as? [String: Any])
        #expect(status["code"] as? Int == 403)
        #expect((status["message"] as? String)?.contains("quote\\\"and\\nnewline") == true)
    }
}
