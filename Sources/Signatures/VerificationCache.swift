import Dispatch
import HTTPTransport
import Synchronization

/// Verification results keyed by (image repository, digest, authority set), bounded in size (LRU) and time (TTL),
/// with single-flight so concurrent admissions of one image make one registry round.
///
/// Failures are cached too, for a shorter time, so an unsigned image retried in a crash loop does not hit the
/// registry on every attempt. A success that has expired is kept a while longer ("stale"): if re-verification then
/// fails only because the registry is unreachable, the earlier verified answer stands (the digest and keys are the
/// same, so the signatures still verify; what is unknown is only the registry).
public final class VerificationCache: Sendable {
    public struct Settings: Sendable {
        public var successTTL: Duration
        public var failureTTL: Duration
        /// How long unreachable-registry failures are remembered; short, so recovery is noticed quickly.
        public var unverifiableTTL: Duration
        /// How long past its TTL a success may still stand in for an unreachable registry.
        public var staleGrace: Duration
        public var capacity: Int

        public init(
            successTTL: Duration = .seconds(300), failureTTL: Duration = .seconds(60),
            unverifiableTTL: Duration = .seconds(10),
            staleGrace: Duration = .seconds(3600), capacity: Int = 4096
        ) {
            self.successTTL = successTTL
            self.failureTTL = failureTTL
            self.unverifiableTTL = unverifiableTTL
            self.staleGrace = staleGrace
            self.capacity = capacity
        }
    }

    /// What a lookup found.
    enum Lookup {
        /// A fresh result: use it.
        case hit(Result<[VerifiedSignature], VerificationFailure>)
        /// The caller must verify and then call `finish`; `stale` is an expired success usable if the registry fails.
        case lead(stale: [VerifiedSignature]?)
        /// Another thread is verifying the same key: wait on it.
        case follow(Flight)
    }

    /// One in-progress verification that others wait for.
    final class Flight: Sendable {
        private let done = DispatchSemaphore(value: 0)
        private let outcome = Mutex<Result<[VerifiedSignature], VerificationFailure>?>(nil)

        func complete(_ result: Result<[VerifiedSignature], VerificationFailure>) {
            outcome.withLock { $0 = result }
            done.signal()
        }

        /// The leader's result, or `nil` if it did not finish before `deadline` (monotonic nanoseconds).
        func wait(deadline: UInt64) -> Result<[VerifiedSignature], VerificationFailure>? {
            guard done.wait(timeout: DispatchTime(uptimeNanoseconds: deadline)) == .success else { return nil }
            done.signal()  // let the next waiter through
            return outcome.withLock { $0 }
        }
    }

    private struct Entry {
        var result: Result<[VerifiedSignature], VerificationFailure>
        var expires: UInt64
        var lastUse: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var flights: [String: Flight] = [:]
        var tick: UInt64 = 0

        /// The fresh result for `key`, marked as just used. One hash and an in-place update: this runs under the
        /// lock for every admission.
        mutating func useFresh(_ key: String, now: UInt64) -> Result<[VerifiedSignature], VerificationFailure>? {
            guard let index = entries.index(forKey: key), entries.values[index].expires > now else { return nil }
            tick += 1
            entries.values[index].lastUse = tick
            return entries.values[index].result
        }
    }

    public let settings: Settings
    private let state = Mutex(State())

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Number of cached results (fresh or stale).
    public var count: Int { state.withLock { $0.entries.count } }

    func lookup(_ key: String, now: UInt64) -> Lookup {
        state.withLock { state in
            if let result = state.useFresh(key, now: now) { return .hit(result) }
            var stale: [VerifiedSignature]?
            if let entry = state.entries[key], case .success(let signatures) = entry.result,
                entry.expires + settings.staleGrace.nanoseconds > now
            {
                stale = signatures
            }
            if let flight = state.flights[key] { return .follow(flight) }
            state.flights[key] = Flight()
            return .lead(stale: stale)
        }
    }

    /// The fresh result for `key`, counted as a use, or nil: a lookup that never leads nor follows a flight.
    func freshResult(_ key: String, now: UInt64) -> Result<[VerifiedSignature], VerificationFailure>? {
        state.withLock { $0.useFresh(key, now: now) }
    }

    /// Stores the leader's result, wakes followers and evicts the least recently used entry when over capacity.
    func finish(_ key: String, _ result: Result<[VerifiedSignature], VerificationFailure>, now: UInt64) {
        let ttl: Duration
        switch result {
        case .success: ttl = settings.successTTL
        case .failure(let failure):
            ttl = failure.transient ? settings.unverifiableTTL : settings.failureTTL
        }
        let flight = state.withLock { state -> Flight? in
            state.tick += 1
            if case .failure(let failure) = result, failure.transient,
                case .success? = state.entries[key].map(\.result)
            {
                // Keep the stale success so later lookups can still fall back to it.
                state.entries[key]?.lastUse = state.tick
            } else {
                state.entries[key] = Entry(result: result, expires: now + ttl.nanoseconds, lastUse: state.tick)
            }
            if state.entries.count > settings.capacity,
                let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
            {
                state.entries.removeValue(forKey: oldest)
            }
            return state.flights.removeValue(forKey: key)
        }
        flight?.complete(result)
    }
}
