import CShims

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Starts a detached POSIX thread with a chosen stack size.
///
/// Foundation's `Thread` gives no say over the stack; with one thread per connection, the default
/// 8 MiB reservation per thread is what we avoid. Stack pages are only touched as used, so RSS stays
/// small; the reservation still has to cover the handler's deepest call (JSON decoding).
func spawnThread(stackBytes: Int, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
    final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, stackBytes)
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(
        &thread, &attributes,
        { argument in
            Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
            return nil
        }, box)
    if rc != 0 {
        Unmanaged<Box>.fromOpaque(box).release()
        throw SystemError(call: "pthread_create", errno: rc)
    }
}

/// Returns a connection thread's dead stack pages to the kernel while the connection waits.
///
/// Handling one admission (JSON decoding, policy, TLS records) touches about 50 KiB of stack that
/// stays resident afterwards; with one thread per keep-alive connection that is 12 MiB at 256 mostly
/// idle connections. Between requests everything below the current frame is dead, so it is dropped
/// with `madvise(MADV_DONTNEED)`: one system call per request, and a few zero-filled page faults
/// when the next request arrives.
struct StackTrimmer {
    /// First page above the guard area; nil when the bounds are unknown (then trimming is skipped).
    private let low: UInt?
    private static let pageSize = UInt(sysconf(Int32(_SC_PAGESIZE)))
    /// Kept below the current frame: the calls made while waiting (poll, OpenSSL reads) live here.
    private static let keepBytes: UInt = 16 * 1024

    /// Call on the thread whose stack is to be trimmed.
    init() {
        low = portcullis_thread_stack_low().map { (UInt(bitPattern: $0) + Self.pageSize) & ~(Self.pageSize - 1) }
    }

    func trim() {
        guard let low else { return }
        var marker: UInt8 = 0
        let current = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        guard current > low + Self.keepBytes + Self.pageSize else { return }
        let high = (current - Self.keepBytes) & ~(Self.pageSize - 1)
        _ = madvise(UnsafeMutableRawPointer(bitPattern: low), Int(high - low), MADV_DONTNEED)
    }
}
