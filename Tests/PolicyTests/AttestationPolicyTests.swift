import AdmissionAPI
import Foundation
import Testing

@testable import Policy

/// `signatures.attestations`: how a class writes what it requires, every mistake with its line and column, and the
/// pure `image-attestation` rule over verified attestation facts (one table, pinned clock).
@Suite struct AttestationPolicyTests {
    static let policy = """
        apiVersion: portcullis.dev/v1
        kind: Policy
        authorities:
          release:
            keys: [/etc/portcullis/keys/release.pem]
            images: ["registry.internal/**"]
        classes:
          ephi:
            registries: [registry.internal]
            requireSignatures: true
            signatures:
              authorities: [release]
              attestations:
                - predicateType: https://slsa.dev/provenance/v1
                  builderIDs: ['regex:https://github\\.com/corp/ci/\\.github/workflows/build\\.yml@refs/tags/v.*']
                  sourceRepositories: [https://github.com/corp/trainer]
                  sourceRefs: [refs/heads/main, 'regex:refs/tags/v[0-9.]+']
                - predicateType: https://cosign.sigstore.dev/attestation/vuln/v1
                  maxSeverity: high
                  maxAge: 168h
                - predicateType: sbom

        """

    @Test func readsEachRequirementAsWritten() throws {
        let requirement = try #require(try PolicyDocument.parse(yaml: Self.policy).classes["ephi"]?.signatures)
        #expect(requirement.attestations.count == 3)
        #expect(
            requirement.attestations[0]
                == AttestationRequirement(
                    kind: .provenance(
                        builderIDs: [
                            "regex:https://github\\.com/corp/ci/\\.github/workflows/build\\.yml@refs/tags/v.*"
                        ],
                        sourceRepositories: ["https://github.com/corp/trainer"],
                        sourceRefs: ["refs/heads/main", "regex:refs/tags/v[0-9.]+"]),
                    predicateTypes: [AttestationRequirement.provenanceType]))
        #expect(
            requirement.attestations[1]
                == AttestationRequirement(
                    kind: .vulnerabilityScan(maxSeverity: .high, maxAge: .seconds(168 * 3600)),
                    predicateTypes: [AttestationRequirement.vulnerabilityScanType]))
        #expect(requirement.attestations[2].kind == .sbom)
        #expect(requirement.attestations[2].predicateTypes == AttestationRequirement.sbomTypes)
    }

    /// Each row replaces the attestations list (its first entry on line 14) with one entry; the error must name the field
    /// and point at its line and column.
    @Test(arguments: [
        ("- predicateType: https://slsa.dev/provenance/v2\n", "is not https://slsa.dev/provenance/v1", 14, 26),
        ("- {builderIDs: [x]}\n", "missing \"predicateType\"", 14, 11),
        ("- predicateType: https://slsa.dev/provenance/v1\n", "needs builderIDs, sourceRepositories", 14, 11),
        (
            "- predicateType: https://slsa.dev/provenance/v1\n          builderIDs: ['regex:a(b']\n",
            "is not a regular expression", 15, 23
        ),
        (
            "- predicateType: https://slsa.dev/provenance/v1\n          sourceRefs: []\n",
            "sourceRefs must list non-empty values", 15, 23
        ),
        (
            "- predicateType: https://slsa.dev/provenance/v1\n          maxSeverity: high\n",
            "maxSeverity does not apply to predicateType https://slsa.dev/provenance/v1", 15, 24
        ),
        (
            "- predicateType: https://cosign.sigstore.dev/attestation/vuln/v1\n          maxSeverity: severe\n",
            "maxSeverity \"severe\" is not one of none, low, medium, high, critical", 15, 24
        ),
        (
            "- predicateType: https://cosign.sigstore.dev/attestation/vuln/v1\n          maxAge: 1h\n",
            "missing \"maxSeverity\"", 14, 11
        ),
        (
            "- predicateType: https://cosign.sigstore.dev/attestation/vuln/v1\n          maxSeverity: low\n"
                + "          maxAge: a week\n",
            "maxAge \"a week\" must be a positive whole number", 16, 19
        ),
        (
            "- predicateType: sbom\n          builderIDs: [x]\n", "builderIDs does not apply to predicateType sbom",
            15, 23
        ),
    ])
    func mistakesAreErrorsWithLineAndColumn(entry: String, expected: String, line: Int, column: Int) {
        let head = Self.policy.components(separatedBy: "        - predicateType: https://slsa.dev")[0]
        let issues = PolicyLintTests.issues(head + "        " + entry)
        #expect(
            issues.contains { $0.message.contains(expected) && $0.line == line && $0.column == column }, "\(issues)")
    }

    // MARK: the rule, pinned clock

    static let now = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z
    static let engine = PolicyEngine(policy: try! PolicyDocument.parse(yaml: policy), policySHA256: "sha")
    static let image = "registry.internal/ml/trainer@sha256:" + String(repeating: "b", count: 64)
    static let builder = "https://github.com/corp/ci/.github/workflows/build.yml@refs/tags/v2.1.0"

    static let provenance = SignatureEvidence.Attestation(
        predicateType: AttestationRequirement.provenanceType, bundleDigest: "sha256:p", authority: "release",
        builderID: builder, sourceRepository: "https://github.com/corp/trainer", sourceRef: "refs/heads/main")
    static let scan = SignatureEvidence.Attestation(
        predicateType: AttestationRequirement.vulnerabilityScanType, bundleDigest: "sha256:v", authority: "release",
        maxSeverity: "medium", scanFinishedOn: "2027-01-14T08:00:00Z")
    static let sbom = SignatureEvidence.Attestation(
        predicateType: "https://cyclonedx.org/bom", bundleDigest: "sha256:s", authority: "release")
    static let good = [provenance, scan, sbom]

    static func changed(_ base: SignatureEvidence.Attestation, _ change: (inout SignatureEvidence.Attestation) -> Void)
        -> SignatureEvidence.Attestation
    {
        var copy = base
        change(&copy)
        return copy
    }

    /// Each row: the verified attestations, and the words the one `image-attestation` finding must contain
    /// (nil: admitted).
    static let cases: [(name: String, attestations: [SignatureEvidence.Attestation], expected: String?)] = [
        ("all three met", good, nil),
        ("release tag ref", [changed(provenance) { $0.sourceRef = "refs/tags/v1.2" }, scan, sbom], nil),
        (
            "SPDX instead of CycloneDX",
            [provenance, scan, changed(sbom) { $0.predicateType = "https://spdx.dev/Document" }], nil
        ),
        ("no provenance", [scan, sbom], "no SLSA provenance v1 attestation was found; attach"),
        (
            "another builder", [changed(provenance) { $0.builderID = "https://evil.example/builder" }, scan, sbom],
            "names builder id \"https://evil.example/builder\", which builderIDs"
        ),
        (
            "a builder on a branch, not a tag",
            [
                changed(provenance) {
                    $0.builderID = builder.replacingOccurrences(of: "tags/v2.1.0", with: "heads/dev")
                }, scan, sbom,
            ],
            "which builderIDs"
        ),
        (
            "another repository",
            [changed(provenance) { $0.sourceRepository = "https://github.com/corp/trainer-fork" }, scan, sbom],
            "names source repository \"https://github.com/corp/trainer-fork\", which sourceRepositories"
        ),
        (
            "a feature branch", [changed(provenance) { $0.sourceRef = "refs/heads/feature" }, scan, sbom],
            "names source ref \"refs/heads/feature\", which sourceRefs"
        ),
        ("no source ref read", [changed(provenance) { $0.sourceRef = nil }, scan, sbom], "names no source ref"),
        (
            "one good provenance beside a bad one",
            [changed(provenance) { $0.builderID = "x" }, provenance, scan, sbom], nil
        ),
        ("no scan", [provenance, sbom], "no vulnerability scan attestation was found"),
        (
            "critical finding", [provenance, changed(scan) { $0.maxSeverity = "critical" }, sbom],
            "found a critical vulnerability, above maxSeverity high"
        ),
        ("high is allowed", [provenance, changed(scan) { $0.maxSeverity = "high" }, sbom], nil),
        (
            "stale scan", [provenance, changed(scan) { $0.scanFinishedOn = "2027-01-07T07:59:59Z" }, sbom],
            "finished at 2027-01-07T07:59:59Z, longer ago than maxAge (604800s)"
        ),
        (
            "scan time unreadable", [provenance, changed(scan) { $0.scanFinishedOn = "yesterday" }, sbom],
            "no RFC 3339 metadata.scanFinishedOn"
        ),
        (
            "scan result unreadable", [provenance, changed(scan) { $0.maxSeverity = nil }, sbom],
            "no result Portcullis can read"
        ),
        (
            "the newest scan decides, not an older clean one",
            [
                provenance, scan,
                changed(scan) {
                    $0.maxSeverity = "critical"
                    $0.scanFinishedOn = "2027-01-15T07:00:00Z"
                }, sbom,
            ],
            "found a critical vulnerability"
        ),
        ("no SBOM", [provenance, scan], "no SBOM attestation was found"),
    ]

    @Test(arguments: cases.indices)
    func theRuleOverVerifiedAttestations(index: Int) {
        let (name, attestations, expected) = Self.cases[index]
        let evidence = SignatureEvidence(
            image: Self.image, digest: "sha256:" + String(repeating: "b", count: 64),
            outcome: .verified([SignatureEvidence.Signer(authority: "release", keyFingerprint: "sha256:k")]),
            attestations: attestations)
        let dataClass = Self.engine.policy.classes["ephi"]!
        let violations = Self.engine.signatureViolations(
            image: Self.image, evidence: evidence, in: dataClass, now: Self.now)
        if let expected {
            #expect(violations.map(\.ruleID) == [.imageAttestation], "\(name)")
            #expect(violations.first?.message.contains(expected) == true, "\(name): \(violations)")
            #expect(violations.first?.message.contains("signed by release") == true, "\(name)")
        } else {
            #expect(violations.isEmpty, "\(name): \(violations)")
            #expect(evidence.decidingAttestations(in: dataClass, now: Self.now).count == 3, "\(name)")
        }
    }

    @Test func aFailedSignatureIsJudgedAloneAndItsAttestationsAreNotBelieved() {
        let evidence = SignatureEvidence(
            image: Self.image, digest: nil, outcome: .failed(.invalid, message: "wrong key"), attestations: [])
        let dataClass = Self.engine.policy.classes["ephi"]!
        let violations = Self.engine.signatureViolations(
            image: Self.image, evidence: evidence, in: dataClass, now: Self.now)
        #expect(violations.map(\.ruleID) == [.imageSignature])
        #expect(evidence.decidingAttestations(in: dataClass, now: Self.now).isEmpty)
    }
}
