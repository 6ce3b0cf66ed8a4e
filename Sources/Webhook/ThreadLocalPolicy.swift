#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Each thread's copy of the policy it last read, tagged with the store's number and generation.
///
/// Every admission reads the policy in force. Behind one mutex that read was a contended lock on every request
/// on every thread (≈ 16 % of server CPU at c=16 in a profile: the Linux mutex is a priority-inheritance futex
/// that hands off to waiters). A thread now compares the store's generation (one atomic load, a cache line that
/// only changes on reload) with its own copy's, and takes the lock only when a reload happened.
final class ThreadLocalPolicy {
    let store: Int
    let generation: Int
    let loaded: PolicyStore.Loaded

    private init(store: Int, generation: Int, loaded: PolicyStore.Loaded) {
        self.store = store
        self.generation = generation
        self.loaded = loaded
    }

    /// One key for the process; the slot holds a retained `ThreadLocalPolicy`, released when its thread ends.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let created = pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<ThreadLocalPolicy>.fromOpaque(pointer).release() }
        }
        precondition(created == 0, "pthread_key_create failed: \(created)")
        return key
    }()

    /// This thread's copy for store number `store` if it is of `generation`.
    static func cached(for store: Int, generation: Int) -> PolicyStore.Loaded? {
        guard let pointer = pthread_getspecific(key) else { return nil }
        let entry = Unmanaged<ThreadLocalPolicy>.fromOpaque(pointer).takeUnretainedValue()
        return entry.store == store && entry.generation == generation ? entry.loaded : nil
    }

    /// Makes `loaded` this thread's copy (one store per thread is cached: a process serves one).
    static func remember(_ loaded: PolicyStore.Loaded, for store: Int, generation: Int) {
        let entry = ThreadLocalPolicy(store: store, generation: generation, loaded: loaded)
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, Unmanaged.passRetained(entry).toOpaque())
        if let previous { Unmanaged<ThreadLocalPolicy>.fromOpaque(previous).release() }
    }
}
