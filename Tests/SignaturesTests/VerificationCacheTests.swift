import Testing

@testable import Signatures

/// The cache with a pinned clock: what is served, for how long, and what single-flight hands to followers.
@Suite struct VerificationCacheTests {
    static let second: UInt64 = 1_000_000_000
    let verified: Result<[VerifiedSignature], VerificationFailure> = .success([
        VerifiedSignature(
            authority: "release", keyFingerprint: "sha256:k", digest: "sha256:d", annotations: [:],
            format: .simpleSigning,
            signedReference: nil)
    ])

    func failure(_ reason: VerificationFailure.Reason) -> Result<[VerifiedSignature], VerificationFailure> {
        .failure(VerificationFailure(reason, image: "i", registry: "r", "m"))
    }

    func isHit(_ lookup: VerificationCache.Lookup) -> Bool {
        if case .hit = lookup { return true }
        return false
    }

    func cache(capacity: Int = 10) -> VerificationCache {
        VerificationCache(
            settings: .init(
                successTTL: .seconds(300), failureTTL: .seconds(60), unverifiableTTL: .seconds(10),
                staleGrace: .seconds(3600),
                capacity: capacity))
    }

    @Test func resultsAreServedUntilTheirTTLByOutcome() {
        let cache = cache()
        let now: UInt64 = 1000 * Self.second
        for (key, result, ttl) in [
            ("ok", verified, 300), ("unsigned", failure(.unsigned), 60), ("down", failure(.unverifiable), 10),
            (
                "corrupt",
                .failure(VerificationFailure(.unverifiable, image: "i", registry: "r", "m", transient: false)), 60
            ),
        ] as [(String, Result<[VerifiedSignature], VerificationFailure>, UInt64)] {
            guard case .lead = cache.lookup(key, now: now) else { Issue.record("first lookup must lead"); continue }
            cache.finish(key, result, now: now)
            #expect(isHit(cache.lookup(key, now: now + (ttl - 1) * Self.second)), "\(key)")
            guard case .lead = cache.lookup(key, now: now + (ttl + 1) * Self.second) else {
                Issue.record("\(key) served after its TTL")
                continue
            }
            cache.finish(key, result, now: now + (ttl + 1) * Self.second)
        }
    }

    @Test func expiredSuccessIsOfferedAsStaleOnlyWithinTheGrace() {
        let cache = cache()
        _ = cache.lookup("k", now: 0)
        cache.finish("k", verified, now: 0)
        guard case .lead(let stale) = cache.lookup("k", now: 400 * Self.second) else {
            Issue.record("must lead"); return
        }
        #expect(stale?.first?.authority == "release")
        // The registry is down: the stale success is kept for the next lookup too.
        cache.finish("k", failure(.unverifiable), now: 400 * Self.second)
        guard case .lead(let again) = cache.lookup("k", now: 401 * Self.second) else {
            Issue.record("must lead"); return
        }
        #expect(again != nil)
        cache.finish("k", failure(.unverifiable), now: 401 * Self.second)
        guard case .lead(let tooOld) = cache.lookup("k", now: 5000 * Self.second) else {
            Issue.record("must lead"); return
        }
        #expect(tooOld == nil)
    }

    @Test func leastRecentlyUsedEntryIsEvicted() {
        let cache = cache(capacity: 2)
        for key in ["a", "b"] {
            _ = cache.lookup(key, now: 0)
            cache.finish(key, verified, now: 0)
        }
        #expect(isHit(cache.lookup("a", now: 1)))
        _ = cache.lookup("c", now: 2)
        cache.finish("c", verified, now: 2)
        #expect(cache.count == 2)
        #expect(isHit(cache.lookup("a", now: 3)))
        #expect(!isHit(cache.lookup("b", now: 3)))
    }

    @Test func followersGetTheLeadersResult() {
        let cache = cache()
        guard case .lead = cache.lookup("k", now: 0) else { Issue.record("must lead"); return }
        guard case .follow(let flight) = cache.lookup("k", now: 0) else { Issue.record("must follow"); return }
        cache.finish("k", failure(.invalid), now: 0)
        #expect(flight.wait(deadline: 0) == failure(.invalid))
        #expect(flight.wait(deadline: 0) == failure(.invalid))
    }

    @Test func followerGivesUpAtItsDeadline() {
        let cache = cache()
        _ = cache.lookup("k", now: 0)
        guard case .follow(let flight) = cache.lookup("k", now: 0) else { Issue.record("must follow"); return }
        #expect(flight.wait(deadline: 0) == nil)
    }
}
