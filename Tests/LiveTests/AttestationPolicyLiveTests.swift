import Foundation
import Testing

/// Required attestations end to end: the independent Python signer attaches SLSA provenance, vulnerability scans
/// and SBOMs to images in Debian's `docker-registry`; the real `portcullis serve` admits or denies a pod in class
/// `attested` (see ``SignatureLiveTests/Environment/policy(host:keys:)``) and writes the evidence to its audit log.
@Suite("portcullis serve: required attestations", .serialized, .timeLimit(.minutes(2)))
struct AttestationPolicyLiveTests {
    /// (scenario, words the `image-attestation` denial must contain; nil: admitted).
    static let verdicts: [(String, String?)] = [
        ("att-good", nil),
        ("att-other-builder", "names builder id \"https://github.com/mallory/ci/build.yml@refs/heads/main\""),
        ("att-other-repo", "names source repository \"https://github.com/mallory/trainer\""),
        ("att-critical", "found a critical vulnerability, above maxSeverity medium"),
        ("att-stale", "longer ago than maxAge (604800s)"),
        ("att-no-sbom", "no SBOM attestation was found"),
        // Attestations signed by a key the authority does not hold, or about another digest, are not believed:
        // nothing of their type verified.
        ("att-untrusted-key", "no SLSA provenance v1 attestation was found"),
        ("att-other-digest", "no SLSA provenance v1 attestation was found"),
    ]

    @Test("each attestation scenario is admitted or denied by image-attestation, naming what failed")
    func verdicts() throws {
        let live = try SignatureLiveTests.Environment()
        for (scenario, expected) in Self.verdicts {
            let image = try #require(live.scenarios[scenario])
            let response = try live.admit(image, in: "attested")
            let message = SignatureLiveTests.message(response)
            #expect(response["allowed"] as? Bool == (expected == nil), "\(scenario): \(message)")
            if let expected {
                #expect(message.contains("[image-attestation]"), "\(scenario): \(message)")
                #expect(message.contains(expected), "\(scenario): \(message)")
                #expect(SignatureLiveTests.reason(response) == "Forbidden", "\(scenario)")
                #expect(message.contains(image), "\(scenario): \(message)")
            }
        }
        // The same images in a class that requires only the signature are admitted: the attestations are the
        // only difference.
        for scenario in ["att-critical", "att-untrusted-key", "att-other-digest"] {
            let response = try live.admit(try #require(live.scenarios[scenario]), in: "release")
            #expect(response["allowed"] as? Bool == true, "\(scenario): \(SignatureLiveTests.message(response))")
        }
    }

    @Test("keyless attestations are verified like keyless signatures: certificate, log entry, identity")
    func keyless() throws {
        let live = try SignatureLiveTests.Environment()
        let attested = try live.admit(try #require(live.scenarios["keyless-attested"]), in: "ci-attested")
        #expect(attested["allowed"] as? Bool == true, "\(SignatureLiveTests.message(attested))")
        let bare = try live.admit(try #require(live.scenarios["keyless-bundle"]), in: "ci-attested")
        let message = SignatureLiveTests.message(bare)
        #expect(bare["allowed"] as? Bool == false)
        #expect(message.contains("[image-attestation]") && message.contains("no SLSA provenance"), "\(message)")
        #expect(message.contains("no SBOM attestation"), "\(message)")
    }

    @Test("the audit line names each attestation decided on, and image verify prints them")
    func evidence() throws {
        let live = try SignatureLiveTests.Environment()
        let image = try #require(live.scenarios["att-good"])
        let uid = "attested-" + UUID().uuidString
        #expect(try live.admit(image, in: "attested", uid: uid)["allowed"] as? Bool == true)
        let record = try live.auditRecord(uid: uid)
        let images = try #require(record["images"] as? [[String: Any]])
        let attestations = try #require(images.first?["attestations"] as? [[String: Any]])
        #expect(
            attestations.map { $0["predicateType"] as? String } == [
                "https://slsa.dev/provenance/v1", "https://cosign.sigstore.dev/attestation/vuln/v1",
                "https://spdx.dev/Document/v2.3",
            ])
        #expect(attestations.allSatisfy { ($0["digest"] as? String)?.hasPrefix("sha256:") == true })
        #expect(
            attestations[0]["builderID"] as? String
                == "https://github.com/corp/trainer/.github/workflows/release.yml@refs/heads/main")
        #expect(attestations[0]["sourceRepository"] as? String == "https://github.com/corp/trainer")
        #expect(attestations[0]["sourceRef"] as? String == "refs/heads/main")
        // The newer of the two scans, with its highest finding.
        #expect(attestations[1]["maxSeverity"] as? String == "medium")
        let finished = try #require(attestations[1]["scanFinishedOn"] as? String)
        let age = Date().timeIntervalSince(try Date(finished, strategy: .iso8601))
        #expect(age > 3000 && age < 7200, "\(finished)")

        let verify = try ChildProcess.run(
            try portcullisBinary(),
            ["image", "verify", image, "--policy", live.certs.path("policy.yaml"), "--class", "attested"],
            timeout: .seconds(30))
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("requiring  SLSA provenance"), "\(verify.stdout)")
        #expect(
            verify.stdout.contains("source https://github.com/corp/trainer at refs/heads/main (decided on)"),
            "\(verify.stdout)")
        #expect(verify.stdout.contains("highest severity medium"), "\(verify.stdout)")
        #expect(verify.stdout.contains("attested   https://spdx.dev/Document/v2.3 by release"), "\(verify.stdout)")
        #expect(verify.stdout.hasSuffix("ALLOWED\n"), "\(verify.stdout)")

        let denied = try ChildProcess.run(
            try portcullisBinary(),
            [
                "image", "verify", try #require(live.scenarios["att-critical"]), "--policy",
                live.certs.path("policy.yaml"), "--class", "attested",
            ], timeout: .seconds(30))
        #expect(denied.status == 1)
        #expect(denied.stdout.contains("[image-attestation]"), "\(denied.stdout)")
        #expect(denied.stdout.contains("found a critical vulnerability"), "\(denied.stdout)")
        #expect(denied.stdout.hasSuffix("DENIED\n"), "\(denied.stdout)")
    }
}
