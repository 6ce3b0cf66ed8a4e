import AdmissionAPI
import Foundation

/// Rules `image-signature`, `signature-unverifiable`, `signature-approval`, `signature-expired` and
/// `signature-review-overdue`: in a class with `requireSignatures`, every image must carry a verified signature of
/// an accepted authority, and the signed promotion annotations the class enforces must hold. A verified image is
/// then judged by ``ImageAttestationCheck`` for the attestations the class requires.
///
/// Reads: every image the pod pulls (containers' and volumes', as ``ImageOriginCheck`` lists them), and the ``SignatureEvidence`` the caller gathered for it.
/// Allows: evidence `verified` with at least one signer whose annotations satisfy every enforced rule:
/// `approved-for` lists the class (comma-separated), `expires` (RFC 3339) is after `now`, `review-by` (RFC 3339)
/// is not before `now`. Missing evidence is a denial: an image nobody verified is never allowed.
enum ImageSignatureCheck {
    static func check(
        _ pod: PodUnderReview, in dataClass: DataClass, evidence: [String: SignatureEvidence], now: Date
    ) -> [Finding] {
        guard dataClass.requireSignatures else { return [] }
        var seen = Set<String>()
        return pod.images.filter { seen.insert($0.image).inserted }.flatMap { entry in
            findings(
                image: entry.image, evidence: evidence[entry.image], in: dataClass, now: now,
                subject: "\(pod.subject): \(entry.holderName) (\(entry.path))", path: entry.path)
        }
    }

    /// The findings for one image given what verification found (nil: it was not verified at all). `subject` names
    /// the object and, for a pod, the first container or volume that pulls the image.
    static func findings(
        image: String, evidence: SignatureEvidence?, in dataClass: DataClass, now: Date, subject: String, path: String
    ) -> [Finding] {
        let who = "\(subject): image \(image.quotedForMessage)"
        guard let evidence else {
            return [
                Finding(
                    rule: .imageSignature, path: path,
                    message: "\(who) was not verified; class \(dataClass.name.quotedForMessage) requires signatures",
                    image: image)
            ]
        }
        let digest = evidence.digest.map { " (\($0))" } ?? ""
        switch evidence.outcome {
        case .failed(.unverifiable, let message):
            return [
                Finding(
                    rule: .signatureUnverifiable, path: path,
                    message: "\(who)\(digest) could not be verified: \(message)",
                    image: image)
            ]
        case .failed(let reason, let message):
            return [
                Finding(
                    rule: .imageSignature, path: path, message: "\(who)\(digest) is \(reason.rawValue): \(message)",
                    image: image)
            ]
        case .verified(let signers):
            let rules = dataClass.signatures?.promotion ?? PromotionRules()
            let problems = signers.map { promotionProblems($0, rules: rules, className: dataClass.name, now: now) }
            let attestations = ImageAttestationCheck.findings(
                evidence: evidence, in: dataClass, now: now, who: who, path: path)
            guard !problems.contains(where: \.isEmpty), let first = problems.first, let signer = signers.first else {
                return attestations
            }
            return first.map { rule, message in
                Finding(
                    rule: rule, path: path, message: "\(who)\(digest), signed by \(signer.authority): \(message)",
                    image: image)
            } + attestations
        }
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
                let found =
                    annotations["approved-for"].map { "approved-for is \($0.quotedForMessage)" }
                    ?? "no approved-for annotation was signed"
                problems.append((.signatureApproval, "\(found); it must list class \(className.quotedForMessage)"))
            }
        }
        if rules.expires {
            switch annotations["expires"].map({ ($0, rfc3339($0)) }) {
            case nil: problems.append((.signatureExpired, "no expires annotation was signed"))
            case (let text, nil)?:
                problems.append((.signatureExpired, "expires \(text.quotedForMessage) is not an RFC 3339 time"))
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

extension SignatureEvidence {
    /// The verified signer the verdict rests on: the first whose signed annotations satisfy every promotion rule
    /// `dataClass` enforces at `now`, else the first verified one; nil when nothing verified. What the audit line
    /// names, so its annotations are the ones that admitted the image.
    public func decidingSigner(in dataClass: DataClass?, now: Date) -> Signer? {
        guard case .verified(let signers) = outcome else { return nil }
        guard let dataClass, let rules = dataClass.signatures?.promotion, !rules.isEmpty else { return signers.first }
        return signers.first {
            ImageSignatureCheck.promotionProblems($0, rules: rules, className: dataClass.name, now: now).isEmpty
        } ?? signers.first
    }
}
