#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Starts a detached POSIX thread with a chosen stack size.
///
/// Foundation's `Thread` gives no say over the stack; the I/O and handler threads need less than the
/// default 8 MiB reservation. Stack pages are only touched as used, so RSS stays small; the reservation
/// still has to cover the handler's deepest call (JSON decoding).
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
