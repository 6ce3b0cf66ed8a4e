/// One attestation a class requires under `signatures.attestations` (docs/POLICY.md, "Attestations"): what kind of
/// in-toto statement must be attached to the image and signed by one of the class's authorities, and what it must
/// say. Pure data; ``ImageAttestationCheck`` judges verified attestations against it.
public struct AttestationRequirement: Sendable, Equatable {
    /// Vulnerability severities in rising order, as scanners (Trivy, Grype) name them in lower case.
    public enum Severity: String, Sendable, Equatable, CaseIterable, Comparable {
        case none, low, medium, high, critical

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public enum Kind: Sendable, Equatable {
        /// SLSA provenance v1; each list is exact values or `regex:` patterns, and an empty list checks nothing.
        case provenance(builderIDs: [String], sourceRepositories: [String], sourceRefs: [String])
        /// cosign's vulnerability-scan predicate: no finding above `maxSeverity`, and (when set) the scan finished
        /// no longer than `maxAge` before the admission.
        case vulnerabilityScan(maxSeverity: Severity, maxAge: Duration?)
        /// An SBOM in one of `predicateTypes`; present and signed is all that is asked.
        case sbom
    }

    public static let provenanceType = "https://slsa.dev/provenance/v1"
    public static let vulnerabilityScanType = "https://cosign.sigstore.dev/attestation/vuln/v1"
    /// The SBOM predicate types cosign and in-toto tooling write: SPDX 2.x (unversioned and per version), SPDX 3
    /// and CycloneDX (unversioned and per version).
    public static let sbomTypes: Set<String> = [
        "https://spdx.dev/Document", "https://spdx.dev/Document/v2.2", "https://spdx.dev/Document/v2.3",
        "https://spdx.dev/Document/v3.0", "https://cyclonedx.org/bom", "https://cyclonedx.org/bom/v1.4",
        "https://cyclonedx.org/bom/v1.5", "https://cyclonedx.org/bom/v1.6",
    ]

    public let kind: Kind
    /// The predicate types any of which satisfies the requirement; what the verifier fetches and checks.
    public let predicateTypes: Set<String>
    /// The `regex:` patterns of `kind`, compiled once when the policy loads: compiling on every admission cost
    /// more than the rest of a cached admission (docs/PERFORMANCE.md).
    let patterns: CompiledPatterns

    public init(kind: Kind, predicateTypes: Set<String>) {
        self.kind = kind
        self.predicateTypes = predicateTypes
        var compiled: [String: Regex<AnyRegexOutput>] = [:]
        if case .provenance(let builders, let repositories, let refs) = kind {
            for text in builders + repositories + refs where text.hasPrefix("regex:") {
                compiled[text] = try? Regex(String(text.dropFirst("regex:".count)))
            }
        }
        self.patterns = CompiledPatterns(regexes: compiled)
    }

    /// Policy text for a value: exact, or `regex:<pattern>` matched against the whole value (as keyless
    /// subjects). A pattern that did not compile (the parser reports it) matches nothing.
    func matches(_ value: String, _ pattern: String) -> Bool {
        guard pattern.hasPrefix("regex:") else { return value == pattern }
        return (try? patterns.regexes[pattern]?.wholeMatch(in: value)) != nil
    }

    /// `@unchecked Sendable`: the regexes are built once and only matched afterwards (matching does not mutate).
    /// Equal by their source text, which `kind` already holds.
    struct CompiledPatterns: @unchecked Sendable, Equatable {
        let regexes: [String: Regex<AnyRegexOutput>]

        static func == (lhs: CompiledPatterns, rhs: CompiledPatterns) -> Bool {
            lhs.regexes.keys.sorted() == rhs.regexes.keys.sorted()
        }
    }

    /// How a person names it in a message.
    public var name: String {
        switch kind {
        case .provenance: "SLSA provenance (\(AttestationRequirement.provenanceType))"
        case .vulnerabilityScan: "vulnerability scan (\(AttestationRequirement.vulnerabilityScanType))"
        case .sbom: "SBOM (\(predicateTypes.sorted().joined(separator: ", ")))"
        }
    }
}
