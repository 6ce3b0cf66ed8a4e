import Foundation
import Testing

/// `portcullis serve`, the real binary, driven by real clients (curl, openssl s_client) on an ephemeral port.
/// Only `/healthz` (200 on GET) and the transport's own answers are relied on, so the tests hold whatever
/// the webhook handler does with other paths.
@Suite("portcullis serve over TLS", .timeLimit(.minutes(1)))
struct TransportLiveTests {
    private static let healthz = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"

    @Test("the startup line names the real port, TLS versions, certificate subject and expiry")
    func startupLine() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let line = try #require(
            server.log.split(separator: "\n").first { $0.contains("listening on https://127.0.0.1:\(server.port)") })
        #expect(server.port > 0)
        #expect(line.contains("TLSv1.2") && line.contains("TLSv1.3"))
        #expect(line.contains("CN=portcullis.portcullis.svc"))
        let end = try ChildProcess.run(
            "openssl", ["x509", "-in", certs.path("server.pem"), "-noout", "-enddate", "-dateopt", "iso_8601"])
        let iso = end.stdout.replacingOccurrences(of: "notAfter=", with: "").trimmingCharacters(
            in: .whitespacesAndNewlines
        )
        .replacingOccurrences(of: " ", with: "T")
        #expect(line.contains(iso), "expiry \(iso) missing from: \(line)")
    }

    @Test("an expired certificate or a key that does not match stops startup with a clear error")
    func badCertificatesRefuseToStart() throws {
        let certs = try DevCertificates()
        let script = """
            set -e; cd "$1"; : > index.txt; echo 01 > serial
            printf '[ca]\\ndefault_ca=c\\n[c]\\ndatabase=index.txt\\nserial=serial\\nnew_certs_dir=.\\ndefault_md=sha256\\npolicy=p\\n[p]\\ncommonName=supplied\\n' > ca.cnf
            openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout expired.key -subj /CN=expired -out expired.csr
            openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca-key.pem -in expired.csr -out expired.crt \
                -startdate 20200101000000Z -enddate 20200102000000Z -notext
            """
        let made = try ChildProcess.run("bash", ["-c", script, "make-expired", certs.directory.path])
        try #require(made.status == 0, "\(made.stderr)")
        let binary = try portcullisBinary()
        let expired = try ChildProcess.run(
            binary,
            [
                "serve", "--listen", "127.0.0.1:0", "--cert", certs.path("expired.crt"), "--key",
                certs.path("expired.key"),
                "--policy", LiveServer.policy,
            ])
        #expect(expired.status != 0 && expired.status != nil)
        #expect(expired.stderr.contains("expired at 2020-01-02T00:00:00Z"), "\(expired.stderr)")
        let mismatched = try ChildProcess.run(
            binary,
            [
                "serve", "--listen", "127.0.0.1:0", "--cert", certs.path("server.pem"), "--key",
                certs.path("client-key.pem"),
                "--policy", LiveServer.policy,
            ])
        #expect(mismatched.status != 0 && mismatched.status != nil)
        #expect(mismatched.stderr.contains("does not match the certificate"), "\(mismatched.stderr)")
    }

    @Test("curl reuses one keep-alive connection for two requests")
    func keepAliveReuse() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let result = try server.curl(
            certs,
            [
                "-v", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n",
                "\(server.url)/healthz",
                "\(server.url)/healthz",
            ])
        #expect(result.status == 0)
        #expect(result.stdout == "200 1\n200 0\n")
        #expect(result.stderr.contains("Re-using existing connection"))
        #expect(result.stderr.contains("ALPN: server accepted http/1.1"))
    }

    @Test("pipelined requests are answered in order on one connection")
    func pipelining() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let pipe = try server.tlsPipe()
        pipe.send(Self.healthz + "GET /healthz?second HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(pipe.waitForExit(timeout: .seconds(10)) != nil, "server did not close after Connection: close")
        let output = pipe.stdout.text
        #expect(pipe.stdout.occurrences(of: "HTTP/1.1 200") == 2, "\(output)")
        let keepAlive = try #require(output.range(of: "Connection: keep-alive"))
        let close = try #require(output.range(of: "Connection: close"))
        #expect(keepAlive.lowerBound < close.lowerBound)
    }

    @Test("malformed HTTP gets 400 and the connection is closed")
    func malformedRequest() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let pipe = try server.tlsPipe()
        pipe.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(pipe.waitForExit(timeout: .seconds(10)) != nil)
        #expect(pipe.stdout.text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(pipe.stdout.text)")
    }

    @Test("chunked bodies and Expect: 100-continue reach the handler")
    func chunkedAndContinue() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let result = try server.curl(
            certs,
            [
                "-v", "-X", "GET", "-H", "Transfer-Encoding: chunked", "-H", "Expect: 100-continue", "--data-binary",
                "hello",
                "-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/healthz",
            ])
        #expect(result.stdout == "200")
        #expect(result.stderr.contains("HTTP/1.1 100 Continue"))
    }

    @Test("openssl s_client: TLS 1.1 refused, TLS 1.3 accepted with ALPN http/1.1, weak or h2-only offers refused")
    func tlsPolicy() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let tls11 = try server.sClient(["-tls1_1"])
        #expect(tls11.contains("Cipher is (NONE)"), "\(tls11)")
        let tls13 = try server.sClient(["-tls1_3", "-alpn", "h2,http/1.1", "-CAfile", certs.path("ca.pem")])
        #expect(tls13.contains("New, TLSv1.3"), "\(tls13)")
        #expect(tls13.contains("ALPN protocol: http/1.1"))
        #expect(tls13.contains("Verify return code: 0 (ok)"))
        let tls12 = try server.sClient(["-tls1_2"])
        #expect(tls12.contains("New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"), "\(tls12)")
        let cbc = try server.sClient(["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"])
        #expect(cbc.contains("Cipher is (NONE)"), "\(cbc)")
        let h2Only = try server.sClient(["-alpn", "h2"])
        #expect(h2Only.contains("no application protocol"), "\(h2Only)")
    }

    @Test("a slowloris client is cut off at the header deadline while others are served")
    func slowloris() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs, extraArguments: ["--header-timeout", "2s"])
        let slow = try server.tlsPipe()
        let request = Array(Self.healthz)
        let start = ContinuousClock.now
        Thread.detachNewThread {
            for character in request where slow.process.isRunning {
                slow.send(String(character))
                Thread.sleep(forTimeInterval: 1)
            }
        }
        var served = 0
        while slow.process.isRunning && ContinuousClock.now - start < .seconds(12) {
            let result = try server.curl(
                certs, ["-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/healthz"], timeout: .seconds(5))
            #expect(result.stdout == "200")
            served += 1
            Thread.sleep(forTimeInterval: 0.3)
        }
        let elapsed = ContinuousClock.now - start
        #expect(slow.waitForExit(timeout: .seconds(1)) != nil, "slow client still connected after \(elapsed)")
        #expect(elapsed < .seconds(request.count), "cut off only after the whole request was sent")
        #expect(slow.stdout.text.hasPrefix("HTTP/1.1 408"), "\(slow.stdout.text)")
        #expect(served >= 2)
    }

    @Test("a rotated certificate is served to new handshakes without a restart; open connections keep working")
    func certificateRotation() throws {
        let first = try DevCertificates()
        let second = try DevCertificates()
        let mount = try CertificateMount(
            in: first.directory, cert: first.path("server.pem"), key: first.path("server-key.pem"))
        let server = try LiveServer(
            cert: mount.cert, key: mount.key, extraArguments: ["--cert-reload-interval", "200ms"])
        let servedSerial = { () throws -> String in
            let hello = try server.sClient([])
            return try ChildProcess.run("openssl", ["x509", "-noout", "-serial"], input: hello).stdout
        }
        let serial = { (certs: DevCertificates) throws -> String in
            try ChildProcess.run("openssl", ["x509", "-noout", "-serial", "-in", certs.path("server.pem")]).stdout
        }
        #expect(try servedSerial() == serial(first))
        let open = try server.tlsPipe()
        open.send(Self.healthz)
        #expect(open.stdout.waitFor("HTTP/1.1 200", timeout: .seconds(5)))

        try mount.switchTo(cert: second.path("server.pem"), key: second.path("server-key.pem"))
        let deadline = ContinuousClock.now + .seconds(10)
        while try servedSerial() != serial(second) && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(try servedSerial() == serial(second))
        #expect(server.log.contains("reloaded TLS certificate"))
        open.send(Self.healthz)
        #expect(
            open.stdout.waitFor("HTTP/1.1 200", count: 2, timeout: .seconds(5)),
            "the connection opened before the rotation stopped working")

        // A broken pair (certificate and key from different generations) keeps the working one in service.
        try mount.switchTo(cert: first.path("server.pem"), key: second.path("server-key.pem"))
        #expect(server.child.stdout.waitFor("cannot be loaded", timeout: .seconds(10)))
        #expect(try servedSerial() == serial(second))
    }

    @Test("with --client-ca, a client certificate from that CA is required")
    func mutualTLS() throws {
        let certs = try DevCertificates()
        let stranger = try DevCertificates()
        let server = try LiveServer(certs, extraArguments: ["--client-ca", certs.path("ca.pem")])
        let url = "\(server.url)/healthz"
        let trusted = try server.curl(
            certs,
            [
                "--cert", certs.path("client.pem"), "--key", certs.path("client-key.pem"), "-w", "%{http_code}", "-o",
                "/dev/null", url,
            ])
        #expect(trusted.stdout == "200", "\(trusted.stderr)")
        let anonymous = try server.curl(certs, ["-w", "%{http_code}", "-o", "/dev/null", url])
        #expect(anonymous.status != 0)
        #expect(anonymous.stdout != "200")
        let untrusted = try server.curl(
            certs,
            [
                "--cert", stranger.path("client.pem"), "--key", stranger.path("client-key.pem"), "-w", "%{http_code}",
                "-o", "/dev/null", url,
            ])
        #expect(untrusted.status != 0)
        #expect(untrusted.stdout != "200")
        // In TLS 1.3 the client finishes first and learns of the refusal when it tries to send a request.
        let noCertificate = try ChildProcess.run(
            "openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-tls1_3", "-quiet"], input: Self.healthz)
        #expect(noCertificate.stderr.contains("certificate required"), "\(noCertificate.stderr)")
        #expect(!noCertificate.stdout.contains("HTTP/1.1"))
    }

    @Test("a body of 8 MiB + 1 byte gets 413, with and without Expect: 100-continue")
    func oversizedBody() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let big = certs.directory.appendingPathComponent("big.bin")
        try Data(repeating: UInt8(ascii: "a"), count: 8 * 1024 * 1024 + 1).write(to: big)
        for expect in ["Expect: 100-continue", "Expect:"] {
            let result = try server.curl(
                certs,
                [
                    "-H", expect, "--data-binary", "@\(big.path)", "-o", "/dev/null", "-w", "%{http_code}",
                    "\(server.url)/validate",
                ])
            #expect(result.stdout == "413", "\(expect): \(result.stderr)")
        }
    }

    @Test("request bytes held across all connections are bounded: over the budget is 503, freed bytes are reused")
    func bufferedBytesBudget() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(
            certs, extraArguments: ["--max-body-bytes", "100000", "--max-buffered-bytes", "150000"])
        let body = certs.directory.appendingPathComponent("body.bin")
        try Data(repeating: UInt8(ascii: "b"), count: 90000).write(to: body)
        let post = { () throws -> String in
            try server.curl(
                certs,
                ["--data-binary", "@\(body.path)", "-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/validate"]
            ).stdout
        }
        // Holds 90 000 of a 100 000-byte body: another 90 000 bytes no longer fit in the budget.
        let holder = try server.tlsPipe()
        holder.send(
            "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n"
                + String(repeating: "a", count: 90000))
        var status = ""
        for _ in 0..<50 where status != "503" {
            status = try post()
            if status != "503" { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(status == "503")
        holder.send(String(repeating: "a", count: 10000))
        #expect(holder.stdout.waitFor("HTTP/1.1 ", timeout: .seconds(5)))
        #expect(!holder.stdout.text.hasPrefix("HTTP/1.1 503"))
        #expect(try post() != "503", "bytes of a finished request were not given back")
    }

    @Test("SIGTERM: idle connections close, new ones are refused, the in-flight request completes, exit 0")
    func gracefulDrain() throws {
        let certs = try DevCertificates()
        // No shutdown delay: this is the drain itself (FaultLiveTests covers the delay before it).
        let server = try LiveServer(certs, extraArguments: ["--drain-timeout", "10s", "--shutdown-delay", "0s"])
        let idle = try server.tlsPipe()
        idle.send(Self.healthz)
        #expect(idle.stdout.waitFor("HTTP/1.1 200", timeout: .seconds(5)))
        let inFlight = try server.tlsPipe()
        inFlight.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n01")
        Thread.sleep(forTimeInterval: 0.5)

        server.terminate()
        #expect(idle.waitForExit(timeout: .seconds(5)) != nil, "idle keep-alive connection was not closed")
        #expect(server.child.stdout.waitFor("draining", timeout: .seconds(5)))
        let late = try server.curl(certs, ["-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/healthz"])
        #expect(late.status == 7, "a new connection was accepted while draining: \(late)")
        for byte in "23456789" {
            inFlight.send(String(byte))
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(inFlight.stdout.waitFor("Connection: close", timeout: .seconds(5)))
        #expect(inFlight.stdout.text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(inFlight.stdout.text)")
        #expect(server.child.waitForExit(timeout: .seconds(15)) == 0)
    }

    @Test("512 concurrent keep-alive connections are all held open and served")
    func manyConnections() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let baseline = server.openDescriptors
        let body = certs.directory.appendingPathComponent("body.bin")
        try Data(repeating: UInt8(ascii: "b"), count: 4096).write(to: body)
        // Each upload is throttled to take about two seconds, so all 512 connections are open at once.
        // curl runs at most 300 transfers in parallel, so two of them share the work.
        let clients = try (0..<2).map { _ in
            try ChildProcess(
                "curl",
                [
                    "-sS", "--cacert", certs.path("ca.pem"), "--parallel", "--parallel-immediate", "--parallel-max",
                    "256",
                    "--limit-rate", "2K", "--max-time", "40", "-X", "GET", "--data-binary", "@\(body.path)",
                    "-w", "%{http_code} %{num_connects}\n", "\(server.url)/healthz?n=[1-256]",
                ]
                    + Array(repeating: ["-o", "/dev/null"], count: 256).flatMap { $0 })
        }
        var peak = 0
        while clients.contains(where: { $0.process.isRunning }) {
            peak = max(peak, server.openDescriptors - baseline)
            Thread.sleep(forTimeInterval: 0.05)
        }
        var lines: [Substring] = []
        for client in clients {
            #expect(client.waitForExit(timeout: .seconds(45)) == 0, "\(client.stderr.text)")
            lines += client.stdout.text.split(separator: "\n")
        }
        #expect(lines.count == 512)
        #expect(lines.allSatisfy { $0 == "200 1" }, "\(Set(lines))")
        #expect(peak >= 512, "server held at most \(peak) connections at once")
    }
}

/// Deadlines and the connection limit, each with short settings so the tests stay quick.
@Suite("portcullis serve limits", .timeLimit(.minutes(1)))
struct TransportLimitLiveTests {
    @Test("a client that never starts TLS is dropped at the handshake deadline")
    func handshakeTimeout() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs, extraArguments: ["--handshake-timeout", "1s"])
        // A plain TCP connection that sends nothing; cat ends when the server closes it.
        let silent = try ChildProcess("bash", ["-c", "exec 3<>/dev/tcp/127.0.0.1/\(server.port); cat <&3"])
        #expect(silent.waitForExit(timeout: .seconds(8)) != nil, "server kept a silent connection open")
    }

    @Test("a body that stalls is answered 408 at the body deadline")
    func bodyTimeout() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs, extraArguments: ["--body-timeout", "1s"])
        let pipe = try server.tlsPipe()
        pipe.send("POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n01")
        #expect(pipe.waitForExit(timeout: .seconds(8)) != nil, "stalled body was not cut off")
        #expect(pipe.stdout.text.hasPrefix("HTTP/1.1 408"), "\(pipe.stdout.text)")
    }

    @Test("an idle keep-alive connection is closed after the idle timeout")
    func idleTimeout() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs, extraArguments: ["--idle-timeout", "1s"])
        let pipe = try server.tlsPipe()
        pipe.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(pipe.stdout.waitFor("HTTP/1.1 200", timeout: .seconds(5)))
        #expect(pipe.waitForExit(timeout: .seconds(8)) != nil, "idle connection outlived the idle timeout")
    }

    @Test("connections over --max-connections are closed at once, not queued")
    func connectionLimit() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs, extraArguments: ["--max-connections", "2"])
        let held = try (0..<2).map { _ in try server.tlsPipe() }
        for pipe in held {
            pipe.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(pipe.stdout.waitFor("HTTP/1.1 200", timeout: .seconds(5)))
        }
        let refused = try server.curl(
            certs, ["-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/healthz"], timeout: .seconds(5))
        #expect(
            refused.status != 0 && refused.status != 28, "over-limit connection was not refused at once: \(refused)")
        held[0].kill()
        var served = false
        for _ in 0..<50 where !served {
            served =
                try server.curl(certs, ["-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/healthz"]).stdout
                == "200"
            if !served { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(served, "a freed slot was not reused")
    }
}
