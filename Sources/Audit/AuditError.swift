/// Something went wrong writing, reading or verifying an audit log; the message says what and where.
///
/// Tampering found by the verifier is not an `AuditError`: it is a finding in the report. This type
/// is for I/O failures (disk full, permission denied) and unusable input (a file that is not an
/// audit log, a bad key).
public struct AuditError: Error, CustomStringConvertible, Sendable {
    public let message: String
    /// The `errno` of the system call that failed, when one did: the writer treats a failed `fdatasync` or an
    /// `EIO` differently from a full disk.
    public let errno: Int32?

    public init(_ message: String, errno: Int32? = nil) {
        self.message = message
        self.errno = errno
    }

    public var description: String { message }

    /// The caller stopped waiting for its line (its request's deadline came first).
    static let notDurableByDeadline = AuditError(
        "the audit line was not durable by the request's deadline; the disk is not answering")
}
