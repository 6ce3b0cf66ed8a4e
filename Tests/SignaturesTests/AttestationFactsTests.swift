import Testing

@testable import Signatures

/// What is read from each predicate shape, as GitHub, the SLSA generator and Trivy (through `cosign attest`)
/// write them; the judging is Policy's.
@Suite struct AttestationFactsTests {
    static func facts(_ type: String, _ predicate: [String: Any]) -> AttestationFacts {
        AttestationFacts(predicateType: type, predicate: predicate, bundleDigest: "sha256:b")
    }

    static let builder = "https://github.com/corp/trainer/.github/workflows/release.yml@refs/tags/v1.2.0"

    @Test func githubProvenanceNamesSourceInExternalParameters() {
        let facts = Self.facts(
            "https://slsa.dev/provenance/v1",
            [
                "buildDefinition": [
                    "externalParameters": [
                        "workflow": [
                            "ref": "refs/tags/v1.2.0", "repository": "https://github.com/corp/trainer",
                            "path": ".github/workflows/release.yml",
                        ]
                    ],
                    "resolvedDependencies": [["uri": "git+https://github.com/other/repo@refs/heads/x"]],
                ],
                "runDetails": ["builder": ["id": Self.builder]],
            ])
        #expect(facts.builderID == Self.builder)
        #expect(facts.sourceRepository == "https://github.com/corp/trainer")
        #expect(facts.sourceRef == "refs/tags/v1.2.0")
        #expect(facts.maxSeverity == nil)
    }

    @Test func generatorProvenanceNamesSourceInResolvedDependencies() {
        let facts = Self.facts(
            "https://slsa.dev/provenance/v1",
            [
                "buildDefinition": [
                    "resolvedDependencies": [
                        ["uri": "pkg:docker/golang@1.23"],
                        ["uri": "git+https://github.com/corp/trainer@refs/heads/main", "digest": ["gitCommit": "a"]],
                    ]
                ],
                "runDetails": ["builder": ["id": Self.builder]],
            ])
        #expect(facts.sourceRepository == "https://github.com/corp/trainer")
        #expect(facts.sourceRef == "refs/heads/main")
    }

    @Test func provenanceWithoutTheFieldsReadsNothing() {
        let facts = Self.facts("https://slsa.dev/provenance/v1", ["builder": "flat"])
        #expect(facts.builderID == nil && facts.sourceRepository == nil && facts.sourceRef == nil)
    }

    static func scan(_ severities: [String]?) -> [String: Any] {
        var result: [String: Any] = ["SchemaVersion": 2]
        if let severities {
            result["Results"] = [
                ["Target": "os"],
                ["Target": "app", "Vulnerabilities": severities.map { ["VulnerabilityID": "CVE-1", "Severity": $0] }],
            ]
        }
        return ["scanner": ["result": result], "metadata": ["scanFinishedOn": "2027-01-14T08:00:00Z"]]
    }

    @Test(arguments: [
        (["LOW", "HIGH", "MEDIUM"], "high"),
        ([], "none"),
        (["low", "Critical"], "critical"),
        // Trivy's UNKNOWN and anything unrated count as the worst, never as harmless.
        (["LOW", "UNKNOWN"], "critical"),
        (["NEGLIGIBLE"], "critical"),
    ])
    func scanSeverityIsTheHighestFinding(severities: [String], expected: String) {
        let facts = Self.facts("https://cosign.sigstore.dev/attestation/vuln/v1", Self.scan(severities))
        #expect(facts.maxSeverity == expected)
        #expect(facts.scanFinishedOn == "2027-01-14T08:00:00Z")
    }

    @Test func aScanResultNotInTrivyFormIsUnknownNotClean() {
        let facts = Self.facts("https://cosign.sigstore.dev/attestation/vuln/v1", Self.scan(nil))
        #expect(facts.maxSeverity == nil)
    }
}
