import AdmissionAPI

/// The verdict over every fetched signature for one image digest and the authorities a class accepts.
///
/// Pure: the registry work happens before, so this is the same function in the webhook, in `image verify` and in
/// the tests.
public struct SignatureEvaluation: Sendable {
    /// Every (candidate, authority) check, for `image verify` to print.
    public let checks: [SignatureCheck]
    public let result: Result<[VerifiedSignature], VerificationFailure>

    /// - Parameters:
    ///   - authorities: the authorities the class accepts; only those whose patterns cover the image count.
    ///   - requireAll: every covering authority must have signed, instead of at least one.
    ///   - unread: referrers that might have held a signature but could not be read. They never outweigh a
    ///     signature that verified; without one, they are named in the denial, and registry trouble among them makes
    ///     it `unverifiable` (asked again soon) rather than a verdict.
    public init(
        candidates: [SignatureCandidate], image: ImageReference, digest: String, authorities: [Authority],
        requireAll: Bool, imageText: String? = nil, unread: [UnreadReferrer] = []
    ) {
        let shown = imageText ?? image.description
        let notRead = unread.map { "\($0.source): \($0.reason)" }.joined(separator: "; ")
        func failure(_ reason: VerificationFailure.Reason, _ message: String) -> VerificationFailure {
            if unread.isEmpty { return VerificationFailure(reason, image: shown, registry: image.domain, message) }
            let transient = unread.contains(where: \.transient)
            return VerificationFailure(
                transient ? .unverifiable : reason, image: shown, registry: image.domain,
                message + "; \(unread.count) referrer(s) not read: " + notRead, transient: transient)
        }
        let covering = authorities.filter { $0.covers(image) }
        guard !covering.isEmpty else {
            let names = authorities.map(\.name).joined(separator: ", ")
            checks = []
            result = .failure(
                failure(
                    .unsigned,
                    "no accepted authority (\(names.isEmpty ? "none configured" : names)) covers \(image.repository)"))
            return
        }
        guard !candidates.isEmpty else {
            checks = []
            result = .failure(
                unread.isEmpty
                    ? failure(.unsigned, "no cosign signature found for \(digest)")
                    : failure(.unverifiable, "no cosign signature could be read for \(digest)"))
            return
        }
        var checks: [SignatureCheck] = []
        var verified: [VerifiedSignature] = []
        var missing: [String] = []
        for authority in covering {
            let results = candidates.map { SignatureCheck.run($0, image: image, digest: digest, authority: authority) }
            checks += results
            let passed = results.compactMap { try? $0.result.get() }
            if passed.isEmpty { missing.append(authority.name) }
            verified += passed
        }
        self.checks = checks
        let satisfied = requireAll ? missing.isEmpty : !verified.isEmpty
        if satisfied {
            result = .success(verified)
        } else {
            let reasons = checks.compactMap { check -> String? in
                guard case .failure(let rejection) = check.result, missing.contains(check.authority) else { return nil }
                return "[\(check.authority)] \(rejection.message)"
            }
            let need = requireAll ? "all of" : "one of"
            result = .failure(
                failure(
                    .invalid,
                    "\(candidates.count) signature(s) found for \(digest) but none by \(missing.joined(separator: ", ")) "
                        + "verified (\(need) \(covering.map(\.name).joined(separator: ", ")) required): "
                        + reasons.joined(separator: "; ")))
        }
    }
}
