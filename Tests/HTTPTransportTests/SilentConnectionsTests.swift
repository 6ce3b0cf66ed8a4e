import Testing

@testable import HTTPTransport

/// The shedding order, and the bookkeeping's size on a server that never sheds.
@Suite struct SilentConnectionsTests {
    @Test func shedsMuteThenIdleAfterHandshakeThenMidHandshakeOldestFirst() {
        var silent = SilentConnections()
        let handshaking = silent.add(fd: 10)
        let idle = silent.add(fd: 11)
        _ = silent.add(fd: 12)
        let spoken = silent.add(fd: 13)
        silent.move(handshaking, to: .handshaking)
        silent.move(idle, to: .handshaken)
        silent.remove(spoken)
        #expect(silent.removeOldest() == 12)
        #expect(silent.removeOldest() == 11)
        #expect(silent.removeOldest() == 10)
        #expect(silent.removeOldest() == nil, "a connection that sent a request is never shed")
    }

    @Test func connectionsThatSpeakLeaveNothingBehind() {
        var silent = SilentConnections()
        for fd in 0..<100_000 {
            let id = silent.add(fd: Int32(fd % 1000))
            silent.move(id, to: .handshaking)
            silent.move(id, to: .handshaken)
            silent.remove(id)
        }
        #expect(silent.trackedIDs <= 1024 + 3, "\(silent.trackedIDs) ids kept for no open connection")
    }
}
