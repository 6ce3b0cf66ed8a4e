import Testing

@testable import HTTPTransport

/// The shedding order, and the bookkeeping's size on a server that never sheds.
@Suite struct SilentConnectionsTests {
    @Test func shedsMuteThenLeastRecentlyProgressed() {
        var silent = SilentConnections()
        let stalledInHandshake = silent.add(fd: 10)
        let idleAfterHandshake = silent.add(fd: 11)
        _ = silent.add(fd: 12)
        let spoken = silent.add(fd: 13)
        let justHandshaken = silent.add(fd: 14, stage: .handshaking)
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
        _ = silent.add(fd: 10, stage: .handshaking)
        _ = silent.add(fd: 11)
        #expect(silent.removeOldest() == 11)
        #expect(silent.count == 1)
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
