/// Connections that have not sent a complete request, shed in this order: first those that sent nothing at all (an
/// idle socket, kept past TCP_DEFER_ACCEPT), oldest first; then those that did (a ClientHello), least recently
/// progressed first, where progress is the ClientHello arriving or the handshake finishing. A real client
/// handshakes at once and sends its request right after, so it is shed only if every other silent connection
/// moved on more recently than it did; a flood of clients stalled in or after their handshakes goes first.
///
/// The same order is kept per source address, so that a source over its share of the silent room can be made to
/// shed its own connections (`removeOldest(from:)`) rather than anyone else's.
struct SilentConnections {
    enum Stage {
        case mute, handshaking, handshaken
    }

    private struct Entry {
        let fd: Int32
        let source: String
        var stage: Stage
    }

    private var nextID = 0
    private var entries: [Int: Entry] = [:]
    private var order = ShedOrder()
    /// Per source address; a source leaves the table with its last silent connection.
    private var sources: [String: ShedOrder] = [:]

    /// Connections tracked now.
    var count: Int { entries.count }

    /// Connections from `source` tracked now.
    func count(from source: String) -> Int { sources[source]?.count ?? 0 }

    /// Ids still in the shedding lists, live or stale: what the lists cost.
    var trackedIDs: Int { sources.values.reduce(order.trackedEntries) { $0 + $1.trackedEntries } }

    mutating func add(fd: Int32, source: String, stage: Stage = .mute) -> Int {
        nextID += 1
        entries[nextID] = Entry(fd: fd, source: source, stage: stage)
        order.insert(nextID, mute: stage == .mute)
        sources[source, default: ShedOrder()].insert(nextID, mute: stage == .mute)
        return nextID
    }

    /// The connection moved on (its ClientHello arrived, or its handshake finished).
    mutating func move(_ id: Int, to stage: Stage) {
        guard var entry = entries[id], entry.stage != stage else { return }
        entry.stage = stage
        entries[id] = entry
        order.insert(id, mute: stage == .mute)
        sources[entry.source]?.insert(id, mute: stage == .mute)
    }

    /// Stops tracking `id`; returns its source address, nil when it was not tracked (already shed).
    @discardableResult
    mutating func remove(_ id: Int) -> String? {
        guard let entry = entries.removeValue(forKey: id) else { return nil }
        order.remove(id)
        leave(entry.source, id)
        return entry.source
    }

    /// Removes the connection to shed first, returning its descriptor.
    mutating func removeOldest() -> Int32? {
        guard let id = order.popFirst(), let entry = entries.removeValue(forKey: id) else { return nil }
        leave(entry.source, id)
        return entry.fd
    }

    /// Removes the connection from `source` to shed first, returning its descriptor.
    mutating func removeOldest(from source: String) -> Int32? {
        guard let id = sources[source]?.popFirst(), let entry = entries.removeValue(forKey: id) else { return nil }
        order.remove(id)
        leave(source, id)
        return entry.fd
    }

    private mutating func leave(_ source: String, _ id: Int) {
        sources[source]?.remove(id)
        if sources[source]?.count == 0 { sources[source] = nil }
    }
}
