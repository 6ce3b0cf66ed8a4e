import AdmissionAPI
import Dispatch

/// The outcome of verifying one image, with what `portcullis image verify` and the audit log need.
public struct ImageVerification: Sendable {
    /// The image as the pod named it.
    public let image: String
    /// The digest verified: the pinned one, or the one the tag resolved to.
    public let digest: String?
    public let result: Result<[VerifiedSignature], VerificationFailure>
    /// E.g. that a tag was resolved, so the kubelet may later pull a different digest.
    public let warnings: [String]
    /// Each signature check performed; empty when the answer came from the cache.
    public let checks: [SignatureCheck]
    public let fromCache: Bool
    /// The verified attestations of the predicate types asked for (empty unless the signature verified).
    public let attestations: [VerifiedSignature]

    init(
        image: String, digest: String?, result: Result<[VerifiedSignature], VerificationFailure>, warnings: [String],
        checks: [SignatureCheck], fromCache: Bool
    ) {
        self.image = image
        self.digest = digest
        // The evaluation (and so the cache) keeps signatures and attestations in one list; callers see them apart.
        self.result = result.map { $0.filter { $0.attestation == nil } }
        self.attestations = (try? result.get())?.filter { $0.attestation != nil } ?? []
        self.warnings = warnings
        self.checks = checks
        self.fromCache = fromCache
    }
}

/// Verifies images against authorities: resolve the digest, fetch signatures, check them, cache the verdict.
///
/// Blocking by design (the webhook serves each admission on its own thread); every registry wait is bounded by the
/// caller's deadline, and an exhausted deadline is an `unverifiable` failure, never an allow.
public final class ImageVerifier: Sendable {
    private let client: RegistryClient
    public let cache: VerificationCache

    public init(client: RegistryClient, cache: VerificationCache = VerificationCache()) {
        self.client = client
        self.cache = cache
    }

    /// Verifies each distinct image once, however many containers name it.
    public func verify(
        images: [String], authorities: [Authority], requireAll: Bool, attestations: [Set<String>] = [],
        deadline: UInt64
    ) -> [String: ImageVerification] {
        var results: [String: ImageVerification] = [:]
        for image in images where results[image] == nil {
            results[image] = verify(
                image: image, authorities: authorities, requireAll: requireAll, attestations: attestations,
                deadline: deadline)
        }
        return results
    }

    /// The verification of each distinct image as far as the cache alone can give it, or nil when any image would
    /// need the registry (a tag to resolve, no fresh result cached): for a caller that must not block, and
    /// otherwise calls `verify`. Cache hits count as uses, as in `verify`.
    public func verifyFromCache(
        images: [String], authorities: [Authority], requireAll: Bool, attestations: [Set<String>] = []
    ) -> [String: ImageVerification]? {
        var results: [String: ImageVerification] = [:]
        for text in images where results[text] == nil {
            switch start(text) {
            case .answered(let verification):
                results[text] = verification
            case .image(_, pinned: nil):
                return nil
            case .image(let image, pinned: let digest?):
                let key = Self.cacheKey(image, digest, authorities, requireAll, attestations)
                guard let result = cache.freshResult(key, now: DispatchTime.now().uptimeNanoseconds) else { return nil }
                results[text] = ImageVerification(
                    image: text, digest: digest, result: result, warnings: [], checks: [], fromCache: true)
            }
        }
        return results
    }

    /// - Parameters:
    ///   - attestations: the attestations required, each as the predicate types any of which meets it; those
    ///     referrers are fetched and verified with the signatures (see ``SignatureEvaluation``).
    ///   - deadline: monotonic nanoseconds (`DispatchTime.now().uptimeNanoseconds` scale) by which the answer is
    ///     needed; the webhook passes its admission budget minus a margin.
    public func verify(
        image text: String, authorities: [Authority], requireAll: Bool, attestations: [Set<String>] = [],
        deadline: UInt64
    ) -> ImageVerification {
        let image: ImageReference
        var warnings: [String] = []
        let digest: String
        switch start(text) {
        case .answered(let verification):
            return verification
        case .image(let parsed, pinned: let pinned?):
            image = parsed
            digest = pinned
        case .image(let parsed, pinned: nil):
            image = parsed
            do {
                digest = try client.manifest(
                    registry: image.domain, repository: image.path, reference: image.tag ?? "latest",
                    deadline: deadline
                ).digest
            } catch {
                let reason: VerificationFailure.Reason = error.kind == .notFound ? .invalid : .unverifiable
                let failure = VerificationFailure(
                    reason, image: text, registry: image.domain, "resolving the tag: \(error)")
                return ImageVerification(
                    image: text, digest: nil, result: .failure(failure), warnings: [], checks: [], fromCache: false)
            }
            warnings.append(
                "image \(text) is not pinned by digest; verified \(digest), but the kubelet may later pull a different digest "
                    + "for tag \(image.tag ?? "latest")")
        }
        let key = Self.cacheKey(image, digest, authorities, requireAll, attestations)
        switch cache.lookup(key, now: DispatchTime.now().uptimeNanoseconds) {
        case .hit(let result):
            return ImageVerification(
                image: text, digest: digest, result: result, warnings: warnings, checks: [], fromCache: true)
        case .follow(let flight):
            let result =
                flight.wait(deadline: deadline)
                ?? .failure(
                    VerificationFailure(
                        .unverifiable, image: text, registry: image.domain,
                        "the concurrent verification of \(digest) did not finish within the admission deadline"))
            return ImageVerification(
                image: text, digest: digest, result: result, warnings: warnings, checks: [], fromCache: true)
        case .lead(let stale):
            var (result, checks) = verifyUncached(
                image: image, text: text, digest: digest, authorities: authorities,
                requireAll: requireAll, attestations: attestations, deadline: deadline)
            cache.finish(key, result, now: DispatchTime.now().uptimeNanoseconds)
            if case .failure(let failure) = result, failure.transient, let stale {
                warnings.append("using the earlier verification of \(digest): \(failure.message)")
                result = .success(stale)
            }
            return ImageVerification(
                image: text, digest: digest, result: result, warnings: warnings, checks: checks, fromCache: false)
        }
    }

    /// Where verifying an image starts: an answer found without the registry, or the image and its digest if pinned.
    private enum Start {
        case answered(ImageVerification)
        case image(ImageReference, pinned: String?)
    }

    private func start(_ text: String) -> Start {
        let image: ImageReference
        do { image = try ImageReference.parse(text) } catch {
            let failure = VerificationFailure(.invalid, image: text, registry: "-", error.description)
            return .answered(
                ImageVerification(
                    image: text, digest: nil, result: .failure(failure), warnings: [], checks: [], fromCache: false))
        }
        if let pinned = image.digest, !ImageReference.isSHA256Digest(pinned) {
            let failure = VerificationFailure(
                .invalid, image: text, registry: image.domain, "only sha256 digests can carry a cosign signature")
            return .answered(
                ImageVerification(
                    image: text, digest: nil, result: .failure(failure), warnings: [], checks: [], fromCache: false))
        }
        return .image(image, pinned: image.digest)
    }

    /// What is fetched and kept depends on the attestations asked for, so they are part of the key; their
    /// conditions are not: policy judges the cached facts at each admission (a scan goes stale while cached).
    private static func cacheKey(
        _ image: ImageReference, _ digest: String, _ authorities: [Authority], _ requireAll: Bool,
        _ attestations: [Set<String>]
    ) -> String {
        ([image.repository, digest, requireAll ? "all" : "any"] + authorities.map(\.identityKey).sorted()
            + attestations.map { $0.sorted().joined(separator: " ") }.sorted())
            .joined(separator: "\n")
    }

    private func verifyUncached(
        image: ImageReference, text: String, digest: String, authorities: [Authority], requireAll: Bool,
        attestations: [Set<String>], deadline: UInt64
    ) -> (Result<[VerifiedSignature], VerificationFailure>, [SignatureCheck]) {
        // No covering authority means no signature can count: say so without asking the registry.
        let covered = authorities.contains { $0.covers(image) }
        let candidates: [SignatureCandidate]
        var fetcher = SignatureFetcher(
            client: client,
            predicateTypes: attestations.reduce(into: [DSSEEnvelope.imageSignaturePredicate]) { $0.formUnion($1) })
        do {
            candidates = covered ? try fetcher.candidates(image: image, digest: digest, deadline: deadline) : []
        } catch {
            let failure = VerificationFailure(
                .unverifiable, image: text, registry: image.domain, "fetching signatures: \(error)",
                transient: error.kind != .digestMismatch)
            return (.failure(failure), [])
        }
        let evaluation = SignatureEvaluation(
            candidates: candidates, image: image, digest: digest, authorities: authorities, requireAll: requireAll,
            imageText: text, unread: fetcher.unread, attestations: attestations)
        return (evaluation.result, evaluation.checks)
    }
}
