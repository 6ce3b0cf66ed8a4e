/// Connection ids in the order they are to be shed: first the tier of sockets that sent nothing, then the rest, each
/// tier in the order of the connections' last step. Moving a connection appends it again under a new ticket; only the
/// entry with its latest ticket is live, and stale ones are skipped when met, so a step costs an append, not a search.
struct ShedOrder {
    /// Each live id's latest ticket: an entry in `tiers` with another ticket is stale.
    private var tickets: [Int: Int] = [:]
    private var nextTicket = 0
    /// Mute ids, then the rest: (id, ticket) in the order of their last step, consumed from `heads`.
    private var tiers: [[(id: Int, ticket: Int)]] = [[], []]
    private var heads = [0, 0]

    /// Ids held now.
    var count: Int { tickets.count }

    /// Entries kept, live or stale: what the lists cost (bounded by `pruneIfStale`).
    var trackedEntries: Int { zip(tiers, heads).reduce(0) { $0 + $1.0.count - $1.1 } }

    /// Adds `id`, or moves it to the back of its (new) tier.
    mutating func insert(_ id: Int, mute: Bool) {
        nextTicket += 1
        tickets[id] = nextTicket
        tiers[mute ? 0 : 1].append((id, nextTicket))
        pruneIfStale()
    }

    mutating func remove(_ id: Int) {
        tickets[id] = nil
        pruneIfStale()
    }

    /// Removes and returns the first live id, the mute tier first.
    mutating func popFirst() -> Int? {
        for tier in tiers.indices {
            while heads[tier] < tiers[tier].count {
                let (id, ticket) = tiers[tier][heads[tier]]
                heads[tier] += 1
                if tickets[id] == ticket {
                    tickets[id] = nil
                    compact(tier)
                    return id
                }
            }
            compact(tier)
        }
        return nil
    }

    /// Connections that speak are removed without ever being shed, so without this the lists would keep every id
    /// ever inserted: once stale entries outnumber live ones (plus slack), each tier keeps only its live entries.
    private mutating func pruneIfStale() {
        guard trackedEntries > 2 * tickets.count + 1024 else { return }
        for tier in tiers.indices {
            tiers[tier] = tiers[tier][heads[tier]...].filter { tickets[$0.id] == $0.ticket }
            heads[tier] = 0
        }
    }

    /// Drops a tier's consumed prefix once it is large, so the lists stay bounded by the ids held.
    private mutating func compact(_ tier: Int) {
        guard heads[tier] > 1024, heads[tier] * 2 > tiers[tier].count else { return }
        tiers[tier].removeFirst(heads[tier])
        heads[tier] = 0
    }
}
