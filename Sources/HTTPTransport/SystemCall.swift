#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed POSIX call, naming the call so the log says what the server was doing.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32
    /// The failure in words when errno does not carry it (getaddrinfo has its own error codes).
    public let reason: String?

    public init(call: String, errno: Int32, reason: String? = nil) {
        self.call = call
        self.errno = errno
        self.reason = reason
    }

    public var description: String {
        "\(call) failed: \(reason ?? String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// Runs a POSIX call, retrying on EINTR (a signal such as SIGTERM interrupted it) and turning -1 into
/// a `SystemError` carrying errno. The one place the server decides what a failed call means.
@discardableResult
func syscall<Result: FixedWidthInteger>(_ name: String, _ body: () -> Result) throws(SystemError) -> Result {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(call: name, errno: code)
    }
}

/// Monotonic nanoseconds (CLOCK_MONOTONIC, the clock `DispatchTime.now().uptimeNanoseconds` reads on
/// Linux): deadlines must not jump when the wall clock is stepped.
func monotonicNanos() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

extension Duration {
    /// Whole nanoseconds, saturating at zero for negative durations; the one conversion every deadline uses.
    public var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
