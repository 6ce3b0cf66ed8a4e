/// What a verified attestation says that policy decides on, read from its in-toto predicate. Reading is all that
/// happens here; whether the values are acceptable is the policy's `image-attestation` rule.
///
/// Fields read (docs/POLICY.md, "Attestations"):
/// - SLSA provenance v1: `runDetails.builder.id`; the source repository and ref from
///   `buildDefinition.externalParameters.workflow.repository` / `.ref` (GitHub's and the SLSA generator's build
///   types), else from the first `buildDefinition.resolvedDependencies[].uri` of the form `git+<repo>@<ref>`.
/// - cosign vulnerability scan: the highest `scanner.result.Results[].Vulnerabilities[].Severity` (Trivy's JSON)
///   and `metadata.scanFinishedOn`. A severity other than LOW, MEDIUM, HIGH or CRITICAL (Trivy's UNKNOWN) counts as
///   critical, so a finding nobody rated never passes as harmless.
/// - SBOMs: nothing beyond the predicate type.
public struct AttestationFacts: Sendable, Hashable {
    public let predicateType: String
    /// `sha256:` digest of the bundle blob that carried the statement.
    public let bundleDigest: String
    public let builderID: String?
    public let sourceRepository: String?
    public let sourceRef: String?
    /// `none`, `low`, `medium`, `high` or `critical`; nil when the scan result is not in a form read here.
    public let maxSeverity: String?
    public let scanFinishedOn: String?

    static let severities = ["none", "low", "medium", "high", "critical"]

    init(predicateType: String, predicate: [String: Any], bundleDigest: String) {
        self.predicateType = predicateType
        self.bundleDigest = bundleDigest
        var builder: String?
        var repository: String?
        var ref: String?
        var severity: String?
        var finished: String?
        // Each shape is read where it is present: the policy looks only at the fields of its own predicate type, and
        // the type names stay in one place (Policy's AttestationRequirement).
        do {
            let definition = predicate["buildDefinition"] as? [String: Any]
            let workflow = (definition?["externalParameters"] as? [String: Any])?["workflow"] as? [String: Any]
            let source = (definition?["resolvedDependencies"] as? [[String: Any]] ?? []).lazy
                .compactMap { $0["uri"] as? String }.first { $0.hasPrefix("git+") }
                .map { String($0.dropFirst("git+".count)) }
            // `git+https://github.com/corp/trainer@refs/heads/main`: repository, then the ref after the last `@`.
            let split = source.map { uri in
                uri.lastIndex(of: "@").map { (String(uri[..<$0]), String(uri[uri.index(after: $0)...])) }
                    ?? (uri, nil)
            }
            builder = ((predicate["runDetails"] as? [String: Any])?["builder"] as? [String: Any])?["id"] as? String
            repository = workflow?["repository"] as? String ?? split?.0
            ref = workflow?["ref"] as? String ?? split?.1
        }
        do {
            let result = (predicate["scanner"] as? [String: Any])?["result"] as? [String: Any]
            if let results = result?["Results"] as? [[String: Any]] {
                let found = results.flatMap { $0["Vulnerabilities"] as? [[String: Any]] ?? [] }.map { finding in
                    let named = (finding["Severity"] as? String)?.lowercased() ?? ""
                    return AttestationFacts.severities.dropFirst().contains(named) ? named : "critical"
                }
                severity = found.max { AttestationFacts.rank($0) < AttestationFacts.rank($1) } ?? "none"
            }
            finished = (predicate["metadata"] as? [String: Any])?["scanFinishedOn"] as? String
        }
        self.builderID = builder
        self.sourceRepository = repository
        self.sourceRef = ref
        self.maxSeverity = severity
        self.scanFinishedOn = finished
    }

    private static func rank(_ severity: String) -> Int { severities.firstIndex(of: severity) ?? severities.count }
}
