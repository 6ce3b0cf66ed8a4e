/// Slots of `maxConnections` held per source address, for `maxConnectionsPerSource`. A connection's source is
/// remembered from the moment it takes a slot until it ends, so the slot goes back to the right source.
struct SourceSlots {
    /// Slots one source may hold at most.
    let limit: Int
    private var held: [String: Int] = [:]
    private var holders: [Int: String] = [:]

    init(limit: Int) { self.limit = limit }

    /// Slots `source` holds now.
    func count(from source: String) -> Int { held[source] ?? 0 }

    /// Takes a slot for connection `id` from `source`; false when that source already holds `limit`.
    mutating func claim(_ id: Int, from source: String) -> Bool {
        let count = held[source] ?? 0
        guard count < limit else { return false }
        held[source] = count + 1
        holders[id] = source
        return true
    }

    /// Connection `id` ended: its slot, if it held one, is its source's again.
    mutating func release(_ id: Int) {
        guard let source = holders.removeValue(forKey: id), let count = held[source] else { return }
        held[source] = count > 1 ? count - 1 : nil
    }
}
