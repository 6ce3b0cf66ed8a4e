import Foundation
import Testing

/// Faults an operator meets, through the real binary: descriptors running out, SIGHUP, a rollout's SIGTERM,
/// and a pod memory limit. Each degrades loudly and boundedly; none spins, floods the log or kills the server.
@Suite("portcullis serve: faults", .serialized, .timeLimit(.minutes(2)))
struct FaultLiveTests {
    /// CPU seconds (user + system) the process has used, from /proc/PID/stat.
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14 and stime 15 of the whole line.
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Opens `count` TCP connections to `port`, each sending the first byte of a TLS record (the listener only
    /// accepts connections that have sent something), and holds them until the returned process is killed.
    static func holdConnections(_ count: Int, port: Int) throws -> ChildProcess {
        let script = """
            import socket, sys, time
            held = []
            for _ in range(\(count)):
                s = socket.create_connection(("127.0.0.1", \(port)))
                s.send(b"\\x16")
                held.append(s)
            print("held", len(held), flush=True)
            time.sleep(60)
            """
        return try ChildProcess("python3", ["-c", script])
    }

    @Test("out of descriptors: accept backs off, the log stays quiet, the CPU idle, and service resumes")
    func descriptorExhaustion() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let limit = try ChildProcess.run("prlimit", ["--pid", "\(server.pid)", "--nofile=64:64"])
        #expect(limit.status == 0, "\(limit.stderr)")
        let holder = try Self.holdConnections(120, port: server.port)
        #expect(holder.stdout.waitFor("held 120", timeout: .seconds(10)))
        Thread.sleep(forTimeInterval: 0.5)
        let linesBefore = server.log.split(separator: "\n").count
        let cpuBefore = Self.cpuSeconds(server.pid)
        Thread.sleep(forTimeInterval: 3)
        let cpu = Self.cpuSeconds(server.pid) - cpuBefore
        let lines = server.log.split(separator: "\n").count - linesBefore
        #expect(cpu < 0.15, "the server used \(cpu) s of CPU in 3 s while out of descriptors")
        #expect(lines <= 6, "\(lines) log lines in 3 s:\n\(server.log.suffix(2000))")
        #expect(server.log.contains("accept"), "running out of descriptors was not logged")
        holder.kill()
        #expect(try server.waitUntilReady(certs) == "200", "service did not resume once descriptors were free")
        let metrics = try server.curl(certs, ["\(server.url)/metrics"]).stdout
        #expect(
            metrics.split(separator: "\n").contains {
                $0.hasPrefix("portcullis_accept_errors_total") && !$0.hasSuffix(" 0")
            },
            "accept errors are not counted:\n\(metrics)")
    }

    @Test("SIGHUP does not kill the server: it reloads the certificate at once and keeps serving")
    func sighupReloads() throws {
        let first = try DevCertificates()
        let second = try DevCertificates()
        let mount = try CertificateMount(
            in: first.directory, cert: first.path("server.pem"), key: first.path("server-key.pem"))
        let server = try LiveServer(cert: mount.cert, key: mount.key, extraArguments: ["--cert-reload-interval", "1h"])
        try mount.switchTo(cert: second.path("server.pem"), key: second.path("server-key.pem"))
        kill(server.pid, SIGHUP)
        #expect(server.child.stdout.waitFor("reloaded TLS certificate", timeout: .seconds(5)), "\(server.log)")
        #expect(server.child.process.isRunning)
        // Served with the new certificate: only the second CA verifies it.
        let health = try server.curl(second, ["-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/healthz"])
        #expect(health.stdout == "200", "\(health)")
    }

    @Test("SIGTERM with a shutdown delay: unready at once, still serving new connections, then drained, exit 0")
    func shutdownDelay() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs, extraArguments: ["--shutdown-delay", "2s", "--drain-timeout", "5s"])
        server.terminate()
        #expect(server.child.stdout.waitFor("shutting down", timeout: .seconds(5)))
        let ready = try server.curl(certs, ["-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/readyz"])
        #expect(ready.stdout == "503", "readyz during the shutdown delay: \(ready)")
        let served = try server.curl(certs, ["-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/healthz"])
        #expect(served.stdout == "200", "a new connection during the shutdown delay was not served: \(served)")
        #expect(server.child.stdout.waitFor("draining", timeout: .seconds(5)))
        #expect(server.child.waitForExit(timeout: .seconds(10)) == 0)
    }

    @Test("40 clients sending 8 MB bodies at once stay within the memory limit the budget is derived from")
    func memoryLimitHolds() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs, extraArguments: ["--memory-limit", "192Mi"])
        #expect(server.log.contains("\"maxBufferedBytes\":\"\(Int((192 - 64) * 1_048_576 / 3))\""), "\(server.log)")
        let body = certs.directory.appendingPathComponent("body.bin")
        try Data(repeating: UInt8(ascii: "b"), count: 8 * 1_000_000).write(to: body)
        let clients = try (0..<40).map { _ in
            try ChildProcess(
                "curl",
                [
                    "-sS", "--cacert", certs.path("ca.pem"), "--max-time", "60", "--data-binary", "@\(body.path)",
                    "-o", "/dev/null", "-w", "%{http_code}\n", "\(server.url)/validate",
                ])
        }
        var codes: [String] = []
        for client in clients {
            _ = client.waitForExit(timeout: .seconds(70))
            codes.append(client.stdout.text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let status = (try? String(contentsOfFile: "/proc/\(server.pid)/status", encoding: .utf8)) ?? ""
        let peakKiB = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.flatMap {
            Int($0.split(separator: " ", omittingEmptySubsequences: true)[1])
        }
        let peak = try #require(peakKiB)
        #expect(peak < 192 * 1024, "peak RSS \(peak / 1024) MiB over the 192 MiB limit; answers \(Set(codes))")
        #expect(codes.contains("503"), "nothing was refused for the budget: \(Set(codes))")
        #expect(codes.allSatisfy { ["400", "503"].contains($0) }, "\(Set(codes))")
    }

    /// The metric names of the table in docs/OPERATIONS.md ("Metrics"), which operators build alerts from.
    static func documentedMetrics() throws -> [String] {
        let text = try String(
            contentsOf: repositoryRoot.appendingPathComponent("docs/OPERATIONS.md"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("| `portcullis_"), let end = line.dropFirst(3).firstIndex(of: "`") else { return nil }
            return String(line[line.index(line.startIndex, offsetBy: 3)..<end])
        }
    }

    @Test("every documented metric is exported from the start, its counters at zero for every class and rule")
    func metricsExistFromTheStart() throws {
        let certs = try DevCertificates()
        // The shipped policy with one registry for signatures, so registry_errors_total has a label value.
        let policy = certs.path("policy.yaml")
        try
            (try String(contentsOfFile: LiveServer.policy, encoding: .utf8)
            + "registries:\n  \"registry.internal\": {}\n")
            .write(toFile: policy, atomically: true, encoding: .utf8)
        let server = try LiveServer(certs, policy: policy)
        let exposition = try server.curl(certs, ["\(server.url)/metrics"]).stdout
        let samples = try PrometheusSamples(exposition)
        let documented = try Self.documentedMetrics()
        #expect(documented.count >= 12, "\(documented)")
        for name in documented {
            #expect(
                samples.samples.contains { $0.name == name || $0.name.hasPrefix(name + "_") },
                "\(name) is documented but not exported at start")
        }
        #expect(samples.value("portcullis_warnings_total", ["class": "ephi", "rule": "registry-origin"]) == 0)
        #expect(samples.value("portcullis_denials_total", ["class": "public", "rule": "model-source"]) == 0)
        #expect(samples.value("portcullis_admissions_total", ["class": "ephi", "decision": "error"]) == 0)
        #expect(samples.value("portcullis_audit_sync_failures_total", [:]) == 0)
        #expect(samples.value("portcullis_signature_cache_requests_total", ["result": "miss"]) == 0)
        #expect(samples.value("portcullis_accept_errors_total", [:]) == 0)
        #expect(samples.value("portcullis_policy_reloads_total", ["result": "failure"]) == 0)
        #expect(samples.value("portcullis_registry_errors_total", ["registry": "registry.internal"]) == 0)
    }

    @Test("a deleted policy file is logged, counted and shown by /readyz; the previous policy stays in force")
    func deletedPolicyFile() throws {
        let certs = try DevCertificates()
        let policy = certs.path("policy.yaml")
        let text = try String(contentsOfFile: LiveServer.policy, encoding: .utf8)
        try text.write(toFile: policy, atomically: true, encoding: .utf8)
        let server = try LiveServer(certs, policy: policy, extraArguments: ["--policy-reload-interval", "100ms"])
        try FileManager.default.removeItem(atPath: policy)
        #expect(server.child.stdout.waitFor("previous policy stays in force", timeout: .seconds(10)), "\(server.log)")
        let ready = try server.curl(certs, ["-w", "\n%{http_code}", "\(server.url)/readyz"]).stdout
        #expect(ready.hasSuffix("\n200"), "readiness must not take every replica out for a ConfigMap mistake")
        #expect(ready.contains("cannot read the file"), "\(ready)")
        let samples = try PrometheusSamples(try server.curl(certs, ["\(server.url)/metrics"]).stdout)
        #expect(samples.value("portcullis_policy_reloads_total", ["result": "failure"]) == 1)
        let (_, json) = try AdmissionLiveTests.post(
            server, certs, path: "/validate/ephi", file: AdmissionLiveTests.allowedReview)
        #expect((json["response"] as? [String: Any])?["allowed"] as? Bool == true, "the previous policy decides")
        try text.write(toFile: policy, atomically: true, encoding: .utf8)
        var cleared = false
        for _ in 0..<50 where !cleared {
            cleared = try !server.curl(certs, ["\(server.url)/readyz"]).stdout.contains("cannot read")
            if !cleared { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(cleared, "restoring the file did not clear the warning")
    }
}
