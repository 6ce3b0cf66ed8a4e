import Foundation

/// Rule `image-attestation`: in a class whose `signatures` block lists `attestations`, every image whose signature
/// verified must also carry, for the same digest, a verified attestation meeting each requirement.
///
/// Reads: the ``SignatureEvidence/attestations`` the verifier found (already signed by one of the class's
/// authorities, with the statement's subject equal to the image digest) and the admission time.
/// Allows: for each requirement, one attestation of its predicate types that meets it: SLSA provenance whose builder
/// id, source repository and source ref match the class's patterns; the newest vulnerability scan with no finding
/// above `maxSeverity`, finished within `maxAge`; any SBOM. An image whose signature failed is judged by
/// ``ImageSignatureCheck`` alone: its attestations were not believed.
enum ImageAttestationCheck {
    typealias Attestation = SignatureEvidence.Attestation

    /// What one requirement was decided on, and what is wrong with it (nil: met).
    struct Judgement {
        let requirement: AttestationRequirement
        let decided: Attestation?
        let problem: String?
    }

    static func findings(
        evidence: SignatureEvidence, in dataClass: DataClass, now: Date, who: String, path: String
    ) -> [Finding] {
        let digest = evidence.digest ?? "its digest"
        let authorities = (dataClass.signatures?.authorities ?? []).joined(separator: ", ")
        return judgements(evidence, in: dataClass, now: now).compactMap { judgement in
            judgement.problem.map {
                Finding(
                    rule: .imageAttestation, path: path,
                    message: "\(who) (\(digest)): \($0) (class \(dataClass.name.quotedForMessage) requires "
                        + "\(judgement.requirement.name) signed by \(authorities))",
                    image: evidence.image)
            }
        }
    }

    static func judgements(_ evidence: SignatureEvidence, in dataClass: DataClass, now: Date) -> [Judgement] {
        guard case .verified = evidence.outcome else { return [] }
        return (dataClass.signatures?.attestations ?? []).map { judge($0, evidence.attestations, now: now) }
    }

    static func judge(_ requirement: AttestationRequirement, _ all: [Attestation], now: Date) -> Judgement {
        let found = all.filter { requirement.predicateTypes.contains($0.predicateType) }
        guard let first = found.first else {
            return Judgement(
                requirement: requirement, decided: nil,
                problem: "no \(missing(requirement)); one signed by another key or for another digest does not count "
                    + "(`portcullis image verify` shows each check)")
        }
        switch requirement.kind {
        case .sbom:
            return Judgement(requirement: requirement, decided: first, problem: nil)
        case .provenance(let builders, let repositories, let refs):
            let problems = found.map { provenanceProblem($0, requirement, builders, repositories, refs) }
            if let index = problems.firstIndex(where: { $0 == nil }) {
                return Judgement(requirement: requirement, decided: found[index], problem: nil)
            }
            return Judgement(requirement: requirement, decided: first, problem: problems.first ?? nil)
        case .vulnerabilityScan(let maxSeverity, let maxAge):
            // The newest scan is the current truth about the image; older clean scans do not outweigh it. Each time
            // is parsed once: ISO 8601 parsing is a measurable share of a cached admission.
            let dated = found.map { ($0, $0.scanFinishedOn.flatMap(ImageSignatureCheck.rfc3339)) }
            let (newest, finished) = dated.max { ($0.1 ?? .distantPast) < ($1.1 ?? .distantPast) }!
            return Judgement(
                requirement: requirement, decided: newest,
                problem: scanProblem(newest, finished: finished, maxSeverity: maxSeverity, maxAge: maxAge, now: now))
        }
    }

    private static func missing(_ requirement: AttestationRequirement) -> String {
        switch requirement.kind {
        case .provenance:
            "SLSA provenance v1 attestation was found; attach the build's provenance with "
                + "`cosign attest --type slsaprovenance1 --predicate provenance.json IMAGE@DIGEST`"
        case .vulnerabilityScan:
            "vulnerability scan attestation was found; scan the image and attach the result with "
                + "`cosign attest --type vuln --predicate scan.json IMAGE@DIGEST`"
        case .sbom:
            "SBOM attestation was found; attach one with `cosign attest --type spdxjson "
                + "--predicate sbom.spdx.json IMAGE@DIGEST` (or --type cyclonedx)"
        }
    }

    private static func provenanceProblem(
        _ attestation: Attestation, _ requirement: AttestationRequirement, _ builders: [String],
        _ repositories: [String], _ refs: [String]
    ) -> String? {
        let checks = [
            ("builder id", attestation.builderID, builders, "builderIDs"),
            ("source repository", attestation.sourceRepository, repositories, "sourceRepositories"),
            ("source ref", attestation.sourceRef, refs, "sourceRefs"),
        ]
        for (what, value, patterns, field) in checks where !patterns.isEmpty {
            let allowed = patterns.joined(separator: ", ")
            guard let value else {
                return "the SLSA provenance \(attestation.bundleDigest) names no \(what); \(field) allows \(allowed)"
            }
            guard patterns.contains(where: { requirement.matches(value, $0) }) else {
                return "the SLSA provenance \(attestation.bundleDigest) names \(what) \(value.quotedForMessage), "
                    + "which \(field) (\(allowed)) does not allow; build the image with the approved pipeline"
            }
        }
        return nil
    }

    private static func scanProblem(
        _ scan: Attestation, finished: Date?, maxSeverity: AttestationRequirement.Severity, maxAge: Duration?,
        now: Date
    ) -> String? {
        let which = "the newest vulnerability scan \(scan.bundleDigest)"
        guard let text = scan.maxSeverity, let severity = AttestationRequirement.Severity(rawValue: text) else {
            return "\(which) has no result Portcullis can read (Trivy JSON Results[].Vulnerabilities[].Severity)"
        }
        if severity > maxSeverity {
            return "\(which) found a \(severity.rawValue) vulnerability, above maxSeverity \(maxSeverity.rawValue); "
                + "fix it, rebuild and rescan"
        }
        guard let maxAge else { return nil }
        guard let written = scan.scanFinishedOn, let finished else {
            return "\(which) has no RFC 3339 metadata.scanFinishedOn, so its age is unknown"
        }
        if now.timeIntervalSince(finished) > Double(maxAge.components.seconds) {
            return "\(which) finished at \(written), longer ago than maxAge (\(maxAge.components.seconds)s); "
                + "rescan the image and attach the new result"
        }
        return nil
    }

}

extension SignatureEvidence {
    /// The attestation each of the class's requirements was decided on, for the audit line and `image verify`.
    public func decidingAttestations(in dataClass: DataClass?, now: Date) -> [Attestation] {
        guard let dataClass else { return [] }
        return ImageAttestationCheck.judgements(self, in: dataClass, now: now).compactMap(\.decided)
    }
}
