import Foundation
import Testing

/// Connection slots cannot be starved by clients that never send a request: the API server opens new
/// connections at any time, so a full table of idle sockets would be an outage. Idle TCP sockets are kept in the
/// kernel until they send something (TCP_DEFER_ACCEPT); connections that have not sent a request are held apart
/// from the slots of `--max-connections` at a few kilobytes each, and over their own bound the oldest is shed first
/// (sockets that sent nothing, then those idle after their handshake, then those mid-handshake).
///
/// The attackers come from bench/hold-connections.py (one asyncio thread, reconnecting whenever dropped); the real
/// client is curl, a new connection for each of 100 requests, and must be answered at least 99 times.
@Suite("portcullis serve: connection slots", .serialized, .timeLimit(.minutes(2)))
struct StarvationLiveTests {
    @Test("400 idle TCP connections that reconnect when dropped do not keep a real client out")
    func idleReconnectingConnectionsAreShedFirst() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs, extraArguments: ["--max-connections", "32", "--handshake-timeout", "30s"])
        let served = try servedWhileHeld(server, certs, ["idle-tcp=400"])
        #expect(served >= 99, "a real client got \(served) of 100 answers while idle sockets held the slots")
    }

    @Test("200 silent TLS and 400 idle TCP connections, reconnecting, on 64 slots do not keep a real client out")
    func silentTLSConnectionsTakeNoSlot() throws {
        let certs = try DevCertificates()
        // The idle sockets leave the kernel after 2 s (TCP_DEFER_ACCEPT) and are held until their handshake
        // deadline: with the TLS clients, more than the 256 silent connections 64 slots allow, so some are shed.
        let server = try LiveServer(certs, extraArguments: ["--max-connections", "64", "--handshake-timeout", "2s"])
        let served = try servedWhileHeld(server, certs, ["silent-tls=200", "idle-tcp=400"])
        #expect(served >= 99, "a real client got \(served) of 100 answers while silent clients held the slots")
    }

    @Test("one address's 2,000 idle TCP and 600 silent TLS connections, reconnecting, leave room for another's")
    func oneSourceCannotTakeTheSilentRoom() throws {
        let certs = try DevCertificates()
        // 16 slots: room for 64 silent connections, of which one source may hold 32. The attacker comes from
        // 127.0.0.2 and tries to hold 2,600; curl comes from 127.0.0.1. Without the per-source share the attacker
        // held the whole room and curl was answered 61 times of 100.
        let server = try LiveServer(certs, extraArguments: ["--max-connections", "16", "--handshake-timeout", "2s"])
        let served = try servedWhileHeld(
            server, certs, ["idle-tcp=2000", "silent-tls=600", "--ready=2000"], from: "127.0.0.2")
        #expect(served >= 99, "a real client got \(served) of 100 answers while one other address flooded")
        #expect(
            server.log.contains(#""perSourceLimit":"32""#) && server.log.contains("refused connections"),
            "the attacker never went over its share:\n\(server.log)")
    }

    @Test("a real client's own 200 keep-alive connections, opened at once from one address, are all served")
    func manyConnectionsFromOneRealClientAreNotThrottled() throws {
        let certs = try DevCertificates()
        // As an API server opens them after the webhook restarted: a burst from one address, each silent until its
        // handshake is done. One source may hold twice --max-connections of them, so any burst the slots could
        // serve fits; none is shed or refused.
        let server = try LiveServer(certs, extraArguments: ["--max-connections", "256"])
        let client = try hold(server, certs, seconds: 30, ["keepalive=200"])
        defer { client.kill() }
        #expect(client.stdout.waitFor("holding", timeout: .seconds(30)))
        #expect(client.stdout.waitFor("opened", timeout: .seconds(5)))
        #expect(client.stdout.text.contains("opened 200 failed 0\n"), "refused or dropped: \(client.stdout.text)")
    }

    @Test("--max-connections-per-source: a third speaking connection from one address is closed, another's served")
    func slotsPerSource() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs, extraArguments: ["--max-connections-per-source", "2"])
        let holder = try hold(server, certs, seconds: 30, ["keepalive=2"])
        defer { holder.kill() }
        try #require(holder.stdout.waitFor("holding", timeout: .seconds(20)))
        let third = try server.curl(certs, ["-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/healthz"])
        #expect(third.stdout == "000" && third.status != 0, "a third connection from 127.0.0.1 was answered: \(third)")
        let other = try server.curl(
            certs, ["--interface", "127.0.0.2", "-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/healthz"])
        #expect(other.stdout == "200", "a connection from 127.0.0.2 was not served: \(other)")
        holder.kill()
        // Its slots come back when its connections end.
        var again = ""
        for _ in 0..<50 where again != "200" {
            again = try server.curl(certs, ["-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/healthz"]).stdout
            if again != "200" { usleep(100_000) }
        }
        #expect(again == "200", "127.0.0.1 got no slot back after its connections closed")
    }

    @Test("per-source caps out of range stop startup with an error naming the flag and the range")
    func perSourceFlagsAreValidated() throws {
        let certs = try DevCertificates()
        let base = [
            "serve", "--listen", "127.0.0.1:0", "--cert", certs.path("server.pem"), "--key",
            certs.path("server-key.pem"), "--policy", LiveServer.policy, "--max-connections", "16",
        ]
        let silent = try ChildProcess.run(try portcullisBinary(), base + ["--max-silent-connections-per-source", "65"])
        #expect(silent.status != 0 && silent.status != nil)
        #expect(silent.stderr.contains("--max-silent-connections-per-source must be from 1 to 64"), "\(silent.stderr)")
        let slots = try ChildProcess.run(try portcullisBinary(), base + ["--max-connections-per-source", "0"])
        #expect(slots.status != 0 && slots.status != nil)
        #expect(
            slots.stderr.contains("--max-connections-per-source must be from 1 to --max-connections (16)"),
            "\(slots.stderr)")
    }

    /// Starts the attackers (bound to `source` when given), waits until each connected once, then counts curl's
    /// answers in 100 new connections from 127.0.0.1.
    private func servedWhileHeld(
        _ server: LiveServer, _ certs: DevCertificates, _ attackers: [String], from source: String? = nil
    ) throws -> Int {
        let attacker = try hold(server, certs, seconds: 60, attackers, from: source)
        defer { attacker.kill() }
        #expect(attacker.stdout.waitFor("holding", timeout: .seconds(30)))
        #expect(attacker.stdout.waitFor("opened", timeout: .seconds(5)), "the attackers stopped")
        // One curl for the 100 requests (a process each would make this test the slowest of the suite), each on a
        // new connection: `Connection: close` ends every one, and num_connects shows it was new.
        let result = try server.curl(
            certs,
            ["-H", "Connection: close", "--max-time", "5", "-w", "%{http_code} %{num_connects}\n"]
                + Array(repeating: ["-o", "/dev/null"], count: 100).flatMap { $0 } + [
                    "\(server.url)/healthz?n=[1-100]"
                ],
            timeout: .seconds(100))
        #expect(attacker.process.isRunning, "the attackers ended before the real client was done")
        return result.stdout.split(separator: "\n").filter { $0 == "200 1" }.count
    }

    /// bench/hold-connections.py holding `specs` against `server` for `seconds`, its sockets bound to `source`.
    private func hold(
        _ server: LiveServer, _ certs: DevCertificates, seconds: Int, _ specs: [String], from source: String? = nil
    ) throws -> ChildProcess {
        let script = repositoryRoot.appendingPathComponent("bench/hold-connections.py").path
        return try ChildProcess(
            "python3",
            [script, "\(server.port)", "\(seconds)"] + specs + ["--ca=\(certs.path("ca.pem"))"]
                + (source.map { ["--source=\($0)"] } ?? []))
    }
}
