import Dispatch
import Foundation
import Logging
import PortcullisCrypto
import Synchronization

/// Appends admission decisions to a hash-chained, checkpointed log, durably, with group commit.
///
/// Callers block in `append` until their line is on stable storage, or are told through a completion
/// (`appendAnchored(_:completion:)`) without a thread waiting. One writer thread takes every
/// line pending at that moment, writes them with one `write(2)` to the `O_APPEND` segment and makes
/// them durable with one `fdatasync`, then wakes all their callers: concurrent requests share a sync
/// instead of queueing for one each. The same thread signs checkpoints, rotates segments and, while
/// the disk is failing, retries on its own so health comes back without traffic.
public final class AuditWriter: Sendable {
    private let shared: WriterShared
    private let finished = DispatchSemaphore(value: 0)
    private let closeTimeout: Double
    /// What opening the log found: the previous run's signed head, whether it was sealed, what was quarantined.
    public let recovery: AuditRecovery

    /// Opens (or creates) the log in `configuration.directory`, verifying the tail of the current
    /// segment: a torn last line is moved to `quarantine/` and a line recording that is appended.
    /// Throws if the existing tail does not verify, so a tampered log is never silently extended.
    public init(
        configuration: AuditConfiguration, signingKey: Ed25519PrivateKey,
        clock: @escaping @Sendable () -> Date, logger: Logger
    ) throws(AuditError) {
        // `shared` is assigned only after recovery succeeds: a throwing init then never runs deinit,
        // whose close() would wait for a writer thread that was never started.
        let shared = WriterShared()
        let core = try WriterCore(
            configuration: configuration.validated(), key: signingKey, clock: clock,
            logger: logger, shared: shared)
        self.shared = shared
        closeTimeout = configuration.closeTimeout
        recovery = core.recovery
        let finished = finished
        let thread = Thread {
            core.run()
            finished.signal()
        }
        thread.name = "audit-writer"
        thread.start()
    }

    deinit { close() }

    /// Appends one decision line and returns its sequence number once it is durable.
    /// Throws when the line could not be written or synced; `isHealthy` is then false.
    public func append(_ record: AuditRecord, deadline: DispatchTime? = nil) throws(AuditError) -> UInt64 {
        try appendAnchored(record, deadline: deadline).seq
    }

    /// Appends one decision line and returns, once it and the checkpoint signing it are durable, where it sits:
    /// chain, seq, line hash and that checkpoint. The webhook hands this to the API server's audit log.
    ///
    /// With a `deadline`, gives up waiting then (a hung disk must not hold the request past the API server's
    /// timeout): the call throws, the writer turns unhealthy, and if the line reaches the disk later, an
    /// `auditLateLines` control line says its decision never took effect.
    public func appendAnchored(_ record: AuditRecord, deadline: DispatchTime? = nil) throws(AuditError) -> AuditAnchor {
        let pending = PendingLine(decision: record)
        guard shared.enqueue([pending]) else { throw AuditError("the audit writer is closed") }
        do {
            return try pending.wait(until: deadline)
        } catch {
            if pending.isLate { shared.setHealthy(false) }
            throw error
        }
    }

    /// Queues one decision line and returns at once; `completion` is told, exactly once and on the writer's
    /// thread, what `appendAnchored(_:deadline:)` would have returned (at once, on this thread, when the writer
    /// is closed). So a caller that has other work can wait for the group commit without a thread blocked on it.
    /// The completion runs between batches: it should hand the outcome on, not do the caller's work.
    ///
    /// The returned `PendingAppend` gives up waiting, as a `deadline` does for the blocking form.
    @discardableResult
    public func appendAnchored(
        _ record: AuditRecord, completion: @escaping @Sendable (Result<AuditAnchor, AuditError>) -> Void
    ) -> PendingAppend {
        let pending = PendingLine(decision: record, completion: completion)
        if !shared.enqueue([pending]) { pending.complete(.failure(AuditError("the audit writer is closed"))) }
        return PendingAppend(line: pending, shared: shared)
    }

    /// Appends one control line (server start, policy reload, trust material, certificate…) to the
    /// same chain, durably, and returns its sequence number.
    @discardableResult
    public func append(_ event: ControlEvent) throws(AuditError) -> UInt64 {
        try append(
            PendingLine(type: .control, members: event.boundedMembers(limit: AuditLineFormat.maximumMemberBytes)))
    }

    /// Appends prepared members as they are (internal: tests use it to write what an older, unbounded writer wrote).
    func append(_ pending: PendingLine) throws(AuditError) -> UInt64 {
        try append(batch: [pending])[0]
    }

    /// Appends lines that reach the writer together, so they share one group commit and one checkpoint, as
    /// concurrent callers' lines do (internal: tests use it to lay out a log deterministically).
    func append(batch: [PendingLine]) throws(AuditError) -> [UInt64] {
        guard shared.enqueue(batch) else { throw AuditError("the audit writer is closed") }
        var seqs: [UInt64] = []
        for pending in batch { seqs.append(try pending.wait().seq) }
        return seqs
    }

    /// False after a failed write or sync, until a later write succeeds (the writer retries on its own).
    public var isHealthy: Bool { shared.healthy }

    /// Writes pending lines and a final checkpoint, syncs, and stops the writer thread, waiting at most
    /// `configuration.closeTimeout`. Returns false when the writer did not finish in time (a hung disk): shutdown
    /// then goes on, and the next start quarantines whatever no checkpoint covers. Idempotent.
    @discardableResult
    public func close() -> Bool {
        guard shared.beginClose() else { return true }
        return finished.wait(timeout: .now() + closeTimeout) == .success
    }
}

/// A line queued by `AuditWriter.appendAnchored(_:completion:)`, whose caller may stop waiting for it.
public struct PendingAppend: Sendable {
    let line: PendingLine
    let shared: WriterShared

    /// Stops waiting: returns the outcome if it has arrived. Otherwise the line is late (if it reaches the disk,
    /// an `auditLateLines` control line says its decision never took effect), the writer turns unhealthy, and
    /// the caller answers as if it could not be written.
    public func giveUp() -> Result<AuditAnchor, AuditError> {
        if let outcome = line.giveUp() { return outcome }
        shared.setHealthy(false)
        return .failure(AuditError.notDurableByDeadline)
    }
}

/// One caller waiting for its line to become durable.
final class PendingLine: Sendable {
    let type: AuditLineFormat.LineType
    let members: [UInt8]
    private let done = DispatchSemaphore(value: 0)
    typealias Completion = @Sendable (Result<AuditAnchor, AuditError>) -> Void

    private struct State {
        var result: Result<AuditAnchor, AuditError>?
        /// The caller stopped waiting before the outcome arrived.
        var late = false
        /// Told the outcome, for a caller that does not wait (`AuditWriter.appendAnchored(_:completion:)`); let go
        /// once called, since what it captures (the caller's whole request) often refers back to this line.
        var completion: Completion?
    }

    private let state: Mutex<State>

    init(type: AuditLineFormat.LineType, members: [UInt8], completion: Completion? = nil) {
        self.type = type
        self.members = members
        self.state = Mutex(State(completion: completion))
    }

    /// A decision line, its members bounded as every decision line's are.
    convenience init(decision record: AuditRecord, completion: Completion? = nil) {
        self.init(
            type: .decision, members: record.boundedMembers(limit: AuditLineFormat.maximumMemberBytes),
            completion: completion)
    }

    /// True when the caller gave up before the outcome: a success then needs recording as late.
    var isLate: Bool { state.withLock { $0.late } }

    /// Records the outcome; returns true when the caller had already given up waiting.
    @discardableResult
    func complete(_ outcome: Result<AuditAnchor, AuditError>) -> Bool {
        let (late, completion) = state.withLock { state in
            state.result = outcome
            defer { state.completion = nil }
            return (state.late, state.completion)
        }
        done.signal()
        completion?(outcome)
        return late
    }

    func wait(until deadline: DispatchTime? = nil) throws(AuditError) -> AuditAnchor {
        if done.wait(timeout: deadline ?? .distantFuture) == .timedOut {
            guard let outcome = giveUp() else { throw AuditError.notDurableByDeadline }
            return try outcome.get()
        }
        return try state.withLock { $0.result! }.get()
    }

    /// The outcome if it has arrived (possibly just now); otherwise marks the line late and returns nil.
    func giveUp() -> Result<AuditAnchor, AuditError>? {
        state.withLock { state in
            if state.result == nil { state.late = true }
            return state.result
        }
    }
}

/// State shared between callers and the writer thread.
final class WriterShared: Sendable {
    private struct State {
        var pending: [PendingLine] = []
        var closing = false
        var healthy = true
    }

    private let state = Mutex(State())
    /// Signalled on every enqueue and on close; the writer thread sleeps on it between batches.
    let wake = DispatchSemaphore(value: 0)

    var healthy: Bool { state.withLock { $0.healthy } }

    func setHealthy(_ value: Bool) { state.withLock { $0.healthy = value } }

    func enqueue(_ lines: [PendingLine]) -> Bool {
        let accepted = state.withLock { state in
            guard !state.closing else { return false }
            state.pending += lines
            return true
        }
        if accepted { wake.signal() }
        return accepted
    }

    /// Everything pending, and whether the writer should stop after writing it.
    func take() -> (lines: [PendingLine], closing: Bool) {
        state.withLock { state in
            defer { state.pending.removeAll(keepingCapacity: true) }
            return (state.pending, state.closing)
        }
    }

    /// Returns false if already closing.
    func beginClose() -> Bool {
        let first = state.withLock { state in
            defer { state.closing = true }
            return !state.closing
        }
        if first { wake.signal() }
        return first
    }
}
