/// The deadlines of one I/O thread's connections, earliest first, checked after every epoll_wait: no timer
/// thread and no timer per connection.
///
/// A connection moves its deadline at every phase (handshake, head, body, idle, write), mostly later. Entries
/// are not removed when a deadline moves: the owner keeps at most one entry at or before its real deadline
/// (`Scheduled`), and an entry that comes due early is re-queued at the real deadline. So the heap holds a few
/// entries per connection, however many requests it serves.
struct DeadlineHeap {
    struct Entry {
        let deadline: UInt64
        /// The descriptor and the connection's id: a descriptor number is reused after close, an id never.
        let fd: Int32
        let id: Int
    }

    private var entries: [Entry] = []

    var count: Int { entries.count }
    var earliest: UInt64? { entries.first?.deadline }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: UInt64) -> Entry? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        let last = entries.removeLast()
        guard !entries.isEmpty else { return first }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count && entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < entries.count && entries[right].deadline < entries[smallest].deadline { smallest = right }
            guard smallest != parent else { return first }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
