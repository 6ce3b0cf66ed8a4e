#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A pipe that becomes readable, and stays readable, once `trigger()` is called.
///
/// Threads blocked in poll(2) include its read end, so one write wakes all of them at once; `trigger()`
/// is a single write(2), which is async-signal-safe, so a signal handler may call it.
///
/// `@unchecked Sendable`: the two descriptors are fixed at init and only read afterwards.
final class ShutdownSignal: @unchecked Sendable {
    let readFD: Int32
    let writeFD: Int32

    init() throws(SystemError) {
        var fds: [Int32] = [-1, -1]
        try syscall("pipe") { pipe(&fds) }
        readFD = fds[0]
        writeFD = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    func trigger() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    /// Empties the pipe, for a signal that is used more than once (SIGHUP's reload): it is readable again only
    /// after the next `trigger()`. The read end is non-blocking, so this never waits.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readFD, &buffer, buffer.count) > 0 {}
    }
}
