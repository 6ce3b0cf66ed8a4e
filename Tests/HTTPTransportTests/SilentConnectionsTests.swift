import Testing

@testable import HTTPTransport

/// The shedding order, and the bookkeeping's size on a server that never sheds.
@Suite struct SilentConnectionsTests {
    let a = "10.0.0.1"
    let b = "10.0.0.2"

    @Test func shedsMuteThenLeastRecentlyProgressed() {
        var silent = SilentConnections()
        let stalledInHandshake = silent.add(fd: 10, source: a)
        let idleAfterHandshake = silent.add(fd: 11, source: a)
        _ = silent.add(fd: 12, source: a)
        let spoken = silent.add(fd: 13, source: a)
        let justHandshaken = silent.add(fd: 14, source: a, stage: .handshaking)
        silent.move(stalledInHandshake, to: .handshaking)
        silent.move(idleAfterHandshake, to: .handshaking)
        silent.move(idleAfterHandshake, to: .handshaken)
        silent.move(justHandshaken, to: .handshaken)
        silent.remove(spoken)
        #expect(silent.removeOldest() == 12, "a socket that sent nothing goes first")
        #expect(silent.removeOldest() == 10)
        #expect(silent.removeOldest() == 11)
        #expect(silent.removeOldest() == 14, "the connection that finished its handshake last goes last")
        #expect(silent.removeOldest() == nil, "a connection that sent a request is never shed")
    }

    @Test func aNewcomerWhoseClientHelloWaitedIsNotShedAsMute() {
        var silent = SilentConnections()
        _ = silent.add(fd: 10, source: a, stage: .handshaking)
        _ = silent.add(fd: 11, source: a)
        #expect(silent.removeOldest() == 11)
        #expect(silent.count == 1)
    }

    @Test func connectionsThatSpeakLeaveNothingBehind() {
        var silent = SilentConnections()
        for fd in 0..<100_000 {
            // Many sources: each one's own order must go with its last connection too.
            let id = silent.add(fd: Int32(fd % 1000), source: "10.\(fd / 256 % 256).\(fd % 256).1")
            silent.move(id, to: .handshaking)
            silent.move(id, to: .handshaken)
            silent.remove(id)
        }
        #expect(silent.trackedIDs <= 1024 + 3, "\(silent.trackedIDs) ids kept for no open connection")
    }

    @Test func aSourceShedsItsOwnConnectionsInTheSameOrder() {
        var silent = SilentConnections()
        _ = silent.add(fd: 10, source: b)
        let stalled = silent.add(fd: 11, source: a, stage: .handshaking)
        _ = silent.add(fd: 12, source: a, stage: .handshaking)
        _ = silent.add(fd: 13, source: a)
        silent.move(stalled, to: .handshaken)
        #expect(silent.count(from: a) == 3)
        #expect(silent.count(from: b) == 1)
        #expect(silent.removeOldest(from: a) == 13, "a socket that sent nothing goes first")
        #expect(silent.removeOldest(from: a) == 12, "then the connection that progressed least recently")
        #expect(silent.count(from: a) == 1)
        #expect(silent.removeOldest() == 10, "the other source's connection is still the oldest of all")
        #expect(silent.removeOldest() == 11, "one shed for its source is gone from the whole order too")
        #expect(silent.removeOldest() == nil)
    }

    @Test func aConnectionShedForAllIsGoneFromItsSource() {
        var silent = SilentConnections()
        _ = silent.add(fd: 10, source: a)
        _ = silent.add(fd: 11, source: a)
        #expect(silent.removeOldest() == 10)
        #expect(silent.count(from: a) == 1)
        #expect(silent.removeOldest(from: a) == 11)
        #expect(silent.removeOldest(from: a) == nil)
        #expect(silent.count == 0)
    }
}

/// The per-source cap on connections serving requests (`--max-connections-per-source`).
@Suite struct SourceSlotsTests {
    /// Claims in order, returning which succeeded.
    private func claims(_ slots: inout SourceSlots, _ requests: [(id: Int, source: String)]) -> [Bool] {
        requests.map { slots.claim($0.id, from: $0.source) }
    }

    @Test func aSourceAtItsLimitIsRefusedUntilOneOfItsConnectionsEnds() {
        var slots = SourceSlots(limit: 2)
        let first = claims(&slots, [(1, "10.0.0.1"), (2, "10.0.0.1"), (3, "10.0.0.1"), (4, "10.0.0.2")])
        #expect(first == [true, true, false, true], "the third from one address is refused; another has its own")
        slots.release(3)
        #expect(claims(&slots, [(5, "10.0.0.1")]) == [false], "a refused connection gave back no slot it never held")
        slots.release(1)
        #expect(claims(&slots, [(6, "10.0.0.1")]) == [true])
        #expect(slots.count(from: "10.0.0.1") == 2)
    }

    @Test func releasingTwiceGivesBackOneSlot() {
        var slots = SourceSlots(limit: 1)
        _ = claims(&slots, [(1, "10.0.0.1")])
        slots.release(1)
        slots.release(1)
        #expect(claims(&slots, [(2, "10.0.0.1"), (3, "10.0.0.1")]) == [true, false])
    }
}
