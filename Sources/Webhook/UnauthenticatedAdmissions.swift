import Audit
import Foundation
import HTTPTransport
import Logging
import Synchronization

/// What `serve` does with an admission request whose caller presented no verified client certificate.
public enum UnauthenticatedAdmissions: String, Sendable, CaseIterable {
    /// Decide it, and mark its audit line `caller: {auth: unauthenticated, peer}` (what a managed cluster, whose API
    /// server cannot present a certificate, has to live with; NetworkPolicy then limits who can connect).
    case record
    /// Answer 401 without deciding, and record the refusal as a control line: a review from anyone but an API
    /// server holding a certificate from `--client-ca` never becomes evidence.
    case refuse
}

/// Turns refused unauthenticated admissions into `unauthenticatedRefused` control lines, at most one per
/// `interval`, each counting the refusals since the previous one: whoever can reach the port must not be able to
/// fill the audit volume by sending reviews. The first refusal is written at once; a count still pending at
/// shutdown is written by `flush()`.
public final class UnauthenticatedRefusals: Sendable {
    private struct Pending {
        var count = 0
        var since: Date?
        var lastPeer = ""
        var lastWritten: Date?
    }

    private let controls: ControlEvents
    private let logger: Logger
    private let interval: TimeInterval
    private let clock: @Sendable () -> Date
    private let state = Mutex(Pending())

    public init(
        controls: ControlEvents, logger: Logger, interval: Duration = .seconds(1),
        clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.controls = controls
        self.logger = logger
        self.interval = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        self.clock = clock
    }

    /// Counts one refusal from `peer`, writing a line when the last one is at least `interval` old.
    public func refused(peer: String) {
        let now = clock()
        let due = state.withLock { pending -> (Int, Date, String)? in
            pending.count += 1
            pending.since = pending.since ?? now
            pending.lastPeer = peer
            if let last = pending.lastWritten, now.timeIntervalSince(last) < interval { return nil }
            return take(&pending, at: now)
        }
        guard let (count, since, lastPeer) = due else { return }
        logger.warning(
            "refused admission requests without a client certificate",
            metadata: ["count": "\(count)", "lastPeer": "\(lastPeer)"])
        controls.record(.unauthenticatedRefused(count: count, since: since, lastPeer: lastPeer))
    }

    /// Writes the refusals not yet on a line (call before the server's last line).
    public func flush() {
        let now = clock()
        guard let (count, since, lastPeer) = state.withLock({ take(&$0, at: now) }) else { return }
        controls.record(.unauthenticatedRefused(count: count, since: since, lastPeer: lastPeer))
    }

    private func take(_ pending: inout Pending, at now: Date) -> (Int, Date, String)? {
        guard pending.count > 0, let since = pending.since else { return nil }
        defer {
            pending.count = 0
            pending.since = nil
            pending.lastWritten = now
        }
        return (pending.count, since, pending.lastPeer)
    }
}

extension AuditRecord.Caller {
    /// The caller of one request, as the transport saw it.
    init(_ context: RequestContext) {
        if let certificate = context.clientCertificate {
            self = .certificate(
                peer: context.remoteAddress, subject: certificate.subject, issuer: certificate.issuer,
                fingerprint: certificate.fingerprint)
        } else {
            self = .unauthenticated(peer: context.remoteAddress)
        }
    }
}
