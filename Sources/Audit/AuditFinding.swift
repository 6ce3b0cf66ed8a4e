/// The first place where an audit log stops being intact, and why.
public struct AuditFinding: Sendable, Equatable, CustomStringConvertible {
    /// What kind of tampering (or damage) the evidence points to.
    public enum Cause: String, Sendable, Equatable {
        /// A line's bytes changed after it was written (or a line is not a well-formed audit line).
        case edited
        /// Lines are missing from inside a segment.
        case deleted
        /// Lines that were never written by the writer appear in the chain.
        case inserted
        /// Lines are present but out of order.
        case reordered
        /// The log ends early: a cut-off last line, or fewer lines than a checkpoint proves existed.
        case truncated
        /// A whole segment file is absent between two others.
        case missingSegment
        /// A checkpoint is not signed by the reviewer's key, or its signature does not verify.
        case forgedCheckpoint
    }

    public var cause: Cause
    /// The file holding the broken place.
    public var file: String
    /// 1-based line number within that file (after decompression for gzip segments).
    public var line: Int
    /// The sequence number written on the offending line, when it could be read.
    public var seq: UInt64?
    public var message: String

    public var description: String {
        "\(cause.rawValue): \(file):\(line)\(seq.map { " (seq \($0))" } ?? ""): \(message)"
    }
}
