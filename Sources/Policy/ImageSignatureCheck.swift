import AdmissionAPI
import Foundation

/// Rules `image-signature`, `signature-unverifiable`, `signature-approval`, `signature-expired` and
/// `signature-review-overdue`: in a class with `requireSignatures`, every image must carry a verified signature of
/// an accepted authority, and the signed promotion annotations the class enforces must hold.
///
/// Reads: every container image, and the ``SignatureEvidence`` the caller gathered for it.
/// Allows: evidence `verified` with at least one signer whose annotations satisfy every enforced rule:
/// `approved-for` lists the class (comma-separated), `expires` (RFC 3339) is after `now`, `review-by` (RFC 3339)
/// is not before `now`. Missing evidence is a denial: an image nobody verified is never allowed.
enum ImageSignatureCheck {
    static func check(
        _ pod: PodUnderReview, in dataClass: DataClass, evidence: [String: SignatureEvidence], now: Date
    ) -> [Finding] {
        guard dataClass.requireSignatures else { return [] }
        let rules = dataClass.signatures?.promotion ?? PromotionRules()
        var findings: [Finding] = []
        var seen = Set<String>()
        for entry in pod.containers where seen.insert(entry.container.image).inserted {
            let image = entry.container.image
            let path = entry.path + ".image"
            let who = "\(pod.subject): image \(image.quotedForMessage)"
            guard let found = evidence[image] else {
                findings.append(
                    Finding(
                        rule: .imageSignature, path: path,
                        message: "\(who) was not verified; class \(dataClass.name.quotedForMessage) requires signatures",
                        image: image))
                continue
            }
            let digest = found.digest.map { " (\($0))" } ?? ""
            switch found.outcome {
            case .failed(.unverifiable, let message):
                findings.append(
                    Finding(
                        rule: .signatureUnverifiable, path: path, message: "\(who)\(digest) could not be verified: \(message)",
                        image: image))
            case .failed(let reason, let message):
                findings.append(
                    Finding(
                        rule: .imageSignature, path: path, message: "\(who)\(digest) is \(reason.rawValue): \(message)",
                        image: image))
            case .verified(let signers):
                let problems = signers.map { promotionProblems($0, rules: rules, className: dataClass.name, now: now) }
                guard !problems.contains(where: \.isEmpty), let first = problems.first else { continue }
                for (rule, message) in first {
                    findings.append(
                        Finding(
                            rule: rule, path: path,
                            message: "\(who)\(digest), signed by \(signers[0].authority): \(message)", image: image))
                }
            }
        }
        return findings
    }

    /// Each enforced promotion rule the signer's annotations break, with why.
    static func promotionProblems(
        _ signer: SignatureEvidence.Signer, rules: PromotionRules, className: String, now: Date
    ) -> [(RuleID, String)] {
        var problems: [(RuleID, String)] = []
        let annotations = signer.annotations
        if rules.approvedFor {
            let listed = annotations["approved-for"]?.split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            if !(listed?.contains(className) ?? false) {
                let found = annotations["approved-for"].map { "approved-for is \($0.quotedForMessage)" }
                    ?? "no approved-for annotation was signed"
                problems.append((.signatureApproval, "\(found); it must list class \(className.quotedForMessage)"))
            }
        }
        if rules.expires {
            switch annotations["expires"].map({ ($0, rfc3339($0)) }) {
            case nil: problems.append((.signatureExpired, "no expires annotation was signed"))
            case (let text, nil)?: problems.append((.signatureExpired, "expires \(text.quotedForMessage) is not an RFC 3339 time"))
            case (let text, let date?)? where date <= now:
                problems.append((.signatureExpired, "the approval expired at \(text)"))
            default: break
            }
        }
        if rules.reviewBy {
            switch annotations["review-by"].map({ ($0, rfc3339($0)) }) {
            case nil: problems.append((.signatureReviewOverdue, "no review-by annotation was signed"))
            case (let text, nil)?:
                problems.append((.signatureReviewOverdue, "review-by \(text.quotedForMessage) is not an RFC 3339 time"))
            case (let text, let date?)? where date < now:
                problems.append((.signatureReviewOverdue, "the review was due by \(text)"))
            default: break
            }
        }
        return problems
    }

    /// An RFC 3339 timestamp (`2026-06-30T00:00:00Z`, with offset or fractional seconds), or nil.
    static func rfc3339(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
