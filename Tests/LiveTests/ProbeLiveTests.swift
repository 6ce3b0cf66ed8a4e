import Foundation
import Testing

/// Kubelet probes and Prometheus on their own listener (TLS without client authentication), so mTLS on the admission
/// port never breaks them; the probe port never serves `/validate`.
@Suite("portcullis serve: probe listener", .timeLimit(.minutes(1)))
struct ProbeLiveTests {
    /// The probe port from the startup line `probes listening on https://127.0.0.1:<port>`.
    static func probePort(_ server: LiveServer) throws -> Int {
        // The probe listener logs its line after the admission listener's: wait for it, not only for the server.
        _ = server.child.stdout.waitFor("probes listening on https://", timeout: .seconds(10))
        let log = server.log
        let range = try #require(
            log.range(of: #"probes listening on https://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
            "no probe listener in:\n\(log)")
        return try #require(Int(log[range].split(separator: ":").last ?? ""))
    }

    @Test("with --client-ca, probes and metrics answer on --probe-listen without a client certificate; HEAD works")
    func probesWorkWithMutualTLS() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(
            certs, extraArguments: ["--client-ca", certs.path("ca.pem"), "--probe-listen", "127.0.0.1:0"])
        let port = try Self.probePort(server)
        let base = "https://localhost:\(port)"
        for path in ["/healthz", "/readyz", "/metrics"] {
            let result = try server.curl(certs, ["-w", "%{http_code}", "-o", "/dev/null", base + path])
            #expect(result.stdout == "200", "\(path): \(result.stderr)")
        }
        let head = try server.curl(certs, ["-I", base + "/healthz"])
        #expect(head.stdout.hasPrefix("HTTP/1.1 200"), "\(head.stdout) \(head.stderr)")
        let metrics = try server.curl(certs, [base + "/metrics"])
        #expect(metrics.stdout.contains("portcullis_policy_info"))
        // Kubelet does not verify the serving certificate of an HTTPS probe; neither does this.
        let kubelet = try ChildProcess.run(
            "curl", ["-sS", "-k", "-w", "%{http_code}", "-o", "/dev/null", base + "/readyz"], timeout: .seconds(20))
        #expect(kubelet.stdout == "200", "\(kubelet.stderr)")
        // The admission port still demands the certificate.
        let anonymous = try server.curl(certs, ["-w", "%{http_code}", "-o", "/dev/null", server.url + "/healthz"])
        #expect(anonymous.stdout != "200")
    }

    @Test("the probe port never serves /validate")
    func noAdmissionsOnTheProbePort() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs, extraArguments: ["--probe-listen", "127.0.0.1:0"])
        let port = try Self.probePort(server)
        let result = try server.curl(
            certs,
            [
                "-w", "\n%{http_code}", "-H", "Content-Type: application/json", "--data-binary",
                "@" + AdmissionLiveTests.allowedReview, "https://localhost:\(port)/validate/ephi",
            ])
        #expect(result.stdout.hasSuffix("\n404"), "\(result.stdout)")
        #expect(result.stdout.contains("probe port"), "\(result.stdout)")
    }

    @Test("HEAD on /healthz of the admission port is answered without a body")
    func headOnTheAdmissionPort() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let head = try server.curl(certs, ["-I", server.url + "/healthz"])
        #expect(head.stdout.hasPrefix("HTTP/1.1 200"), "\(head.stdout)")
    }

    @Test("after SIGTERM the probe port says unready while the admission port still serves its shutdown delay")
    func readinessFollowsTheAdmissionServer() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(
            certs, extraArguments: ["--probe-listen", "127.0.0.1:0", "--shutdown-delay", "10s"])
        let ready = "https://localhost:\(try Self.probePort(server))/readyz"
        #expect(try server.curl(certs, ["-w", "%{http_code}", "-o", "/dev/null", ready]).stdout == "200")
        server.terminate()
        #expect(server.child.stdout.waitFor("shutting down", timeout: .seconds(10)))
        let result = try server.curl(certs, [ready])
        #expect(result.stdout.contains("not ready: shutting down"), "\(result.stdout) \(result.stderr)")
    }
}
