import Synchronization

/// A small table that every request reads and that gains an entry only the first time a key is seen (a class
/// name, a rule ID, a registry host): a lookup is one atomic load and a dictionary read, never a lock.
///
/// Why not a `Mutex<[Key: Value]>`: on Linux the Swift 6 mutex is a priority-inheritance futex that hands off
/// to waiters, so one lock taken by every admission on every I/O thread convoys under load. Here a writer (under
/// the mutex, rare) publishes a new immutable snapshot that links to the one it replaces. A reader may still
/// be using an older snapshot, so none is ever freed while the table lives: the chain holds one snapshot per
/// key, and keys are bounded by configuration, never by request content.
final class ReadMostlyTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private final class Snapshot: Sendable {
        let entries: [Key: Value]
        let previous: Snapshot?

        init(_ entries: [Key: Value], previous: Snapshot?) {
            self.entries = entries
            self.previous = previous
        }
    }

    /// The newest snapshot, retained once by the table (released in `deinit`); it retains the older ones.
    private let published: Atomic<Unmanaged<Snapshot>>
    private let writers = Mutex<Void>(())

    init() {
        published = Atomic(Unmanaged.passRetained(Snapshot([:], previous: nil)))
    }

    deinit {
        published.load(ordering: .acquiring).release()
    }

    /// The value for `key`, made by `make` (under the writers' lock, once per key) the first time it is asked for.
    func value(for key: Key, make: (Key) -> Value) -> Value {
        if let known = published.load(ordering: .acquiring)._withUnsafeGuaranteedRef({ $0.entries[key] }) {
            return known
        }
        return writers.withLock { _ in
            let current = published.load(ordering: .acquiring)
            if let known = current._withUnsafeGuaranteedRef({ $0.entries[key] }) { return known }
            let made = make(key)
            var entries = current._withUnsafeGuaranteedRef(\.entries)
            entries[key] = made
            // The new snapshot takes over the table's retain of `current` through `previous`.
            let next = Snapshot(entries, previous: current.takeRetainedValue())
            published.store(Unmanaged.passRetained(next), ordering: .releasing)
            return made
        }
    }

    /// Every entry, for rendering.
    var entries: [Key: Value] {
        published.load(ordering: .acquiring)._withUnsafeGuaranteedRef(\.entries)
    }
}
