import PortcullisCrypto

/// What the writer found when it opened an existing log: the head the previous run left signed, whether
/// that run stopped cleanly, and what was moved to `quarantine/` instead of being signed in.
///
/// `serve` writes it into its `serverStarted` line, so a restart after a crash, or after someone added
/// lines while the server was down, is itself evidence in the chain.
public struct AuditRecovery: Sendable, Equatable {
    /// How the previous run ended, as far as its last signed checkpoint shows.
    public enum PreviousRun: String, Sendable {
        /// Its last signed line is a `serverStopped` event: it drained and closed.
        case sealed
        /// It stopped without recording a stop (killed, crashed, power lost).
        case crashed
        /// There was no log before.
        case none
    }

    /// Seq of the last signed checkpoint, the tree size and root it signs; nil for a new log.
    public var previousSeq: UInt64?
    public var previousTreeSize: UInt64?
    public var previousRoot: SHA256Digest?
    public var previousRun: PreviousRun
    /// Whole lines no checkpoint covered, and bytes of a torn last line, moved to `quarantine/`.
    public var quarantinedLines: Int
    public var quarantinedTornBytes: Int

    /// One clause for the `serverStarted` message.
    var summary: String {
        var text: String
        switch previousRun {
        case .none: text = "new audit log"
        case .sealed, .crashed:
            text =
                "previous run \(previousRun.rawValue), its signed head seq \(previousSeq ?? 0) "
                + "(tree size \(previousTreeSize ?? 0))"
        }
        if quarantinedLines > 0 { text += "; \(quarantinedLines) unsigned line(s) quarantined" }
        if quarantinedTornBytes > 0 { text += "; a torn line of \(quarantinedTornBytes) bytes quarantined" }
        return text
    }
}
