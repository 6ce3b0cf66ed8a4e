import AdmissionAPI

/// The verdict over every fetched signature for one image digest and the authorities a class accepts.
///
/// Pure: the registry work happens before, so this is the same function in the webhook, in `image verify` and in
/// the tests.
public struct SignatureEvaluation: Sendable {
    /// Every (candidate, authority) check, for `image verify` to print.
    public let checks: [SignatureCheck]
    /// The image's verified signatures followed by its verified attestations (``VerifiedSignature/attestation``
    /// set), so one cached value holds both.
    public let result: Result<[VerifiedSignature], VerificationFailure>

    /// - Parameters:
    ///   - authorities: the authorities the class accepts; only those whose patterns cover the image count.
    ///   - requireAll: every covering authority must have signed, instead of at least one.
    ///   - unread: referrers that might have held a signature but could not be read. They never outweigh a
    ///     signature that verified; without one, they are named in the denial, and registry trouble among them makes
    ///     it `unverifiable` (asked again soon) rather than a verdict.
    ///   - attestations: the attestations the class requires, each as the predicate types any of which meets it.
    ///     Attestations by any covering authority count. When one is not met and referrers went unread, the answer
    ///     is `unverifiable`, as for signatures: what was not read may be the attestation.
    public init(
        candidates: [SignatureCandidate], image: ImageReference, digest: String, authorities: [Authority],
        requireAll: Bool, imageText: String? = nil, unread: [UnreadReferrer] = [], attestations: [Set<String>] = []
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
        let attestationTypes = attestations.reduce(into: Set<String>()) { $0.formUnion($1) }
        var checks: [SignatureCheck] = []
        var verified: [VerifiedSignature] = []
        var attested: [VerifiedSignature] = []
        var missing: [String] = []
        for authority in covering {
            let results = candidates.map {
                SignatureCheck.run(
                    $0, image: image, digest: digest, authority: authority, attestationTypes: attestationTypes)
            }
            checks += results
            let passed = results.compactMap { try? $0.result.get() }
            let signatures = passed.filter { $0.attestation == nil }
            if signatures.isEmpty { missing.append(authority.name) }
            verified += signatures
            attested += passed.filter { $0.attestation != nil }
        }
        self.checks = checks
        let satisfied = requireAll ? missing.isEmpty : !verified.isEmpty
        let found = Set(attested.compactMap(\.attestation?.predicateType))
        let unmet = attestations.filter { found.isDisjoint(with: $0) }
        if satisfied, !unmet.isEmpty, !unread.isEmpty {
            let types = unmet.map { $0.sorted().joined(separator: " or ") }.joined(separator: "; ")
            result = .failure(
                failure(.unverifiable, "no required attestation (\(types)) could be read for \(digest)"))
        } else if satisfied {
            result = .success(verified + attested)
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
