import Foundation
import Testing

/// Who asked for each decision, through the real binary, curl and the audit files on disk: a review POSTed by anyone
/// who can reach the port must not pass for one the API server asked for.
@Suite("portcullis serve: caller identity", .serialized, .timeLimit(.minutes(2)))
struct CallerLiveTests {
    /// Every line of every segment in `directory`, parsed, in file order.
    static func auditLines(_ directory: String) throws -> [[String: Any]] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }
        return try files.sorted().flatMap { file in
            try String(contentsOfFile: directory + "/" + file, encoding: .utf8).split(separator: "\n").compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
    }

    static func decisionLines(_ directory: String) throws -> [[String: Any]] {
        try auditLines(directory).filter { $0["type"] as? String == "decision" }
    }

    /// Stops the server the way Kubernetes does, so every line is on disk and the log is sealed.
    static func stop(_ server: LiveServer) {
        server.terminate()
        _ = server.child.waitForExit(timeout: .seconds(30))
    }

    @Test("a forged review from curl without a client certificate is recorded as unauthenticated, with its peer")
    func forgedReviewIsMarked() throws {
        let fixture = try AuditLiveTests.AuditFixture()
        let server = try LiveServer(
            fixture.certs, extraArguments: fixture.serverArguments + ["--shutdown-delay", "0s"])
        let (status, _) = try AdmissionLiveTests.post(
            server, fixture.certs, path: "/validate/ephi", file: AdmissionLiveTests.allowedReview)
        #expect(status == 200)
        Self.stop(server)
        let line = try #require(try Self.decisionLines(fixture.logDirectory).first)
        let caller = try #require(line["caller"] as? [String: Any], "decision line without caller: \(line)")
        #expect(caller["auth"] as? String == "unauthenticated")
        #expect((caller["peer"] as? String)?.hasPrefix("127.0.0.1:") == true, "\(caller)")
        #expect(caller["subject"] == nil && caller["fingerprint"] == nil)

        // The security team's tools flag it: verify and summary warn, the report counts it next to the verdict.
        let binary = try portcullisBinary()
        let verify = try ChildProcess.run(
            binary, ["audit", "verify", "--key", fixture.publicKey, fixture.logDirectory], timeout: .seconds(30))
        #expect(verify.status == 0 && verify.stdout.contains("1 decision(s) from unauthenticated callers"), "\(verify)")
        let summary = try ChildProcess.run(
            binary, ["audit", "summary", "--since", "1h", fixture.logDirectory], timeout: .seconds(30))
        #expect(summary.stdout.contains("warning: 1 decision(s) from unauthenticated callers"), "\(summary.stdout)")
        let report = try ChildProcess.run(
            binary, ["audit", "report", "--key", fixture.publicKey, "-o", "json", fixture.logDirectory],
            timeout: .seconds(30))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        #expect((json["integrity"] as? [String: Any])?["unauthenticatedDecisions"] as? Int == 1)
        let table = try ChildProcess.run(
            binary, ["audit", "query", "--caller", "unauthenticated", fixture.logDirectory], timeout: .seconds(30))
        #expect(table.stdout.contains("OPERATION") && table.stdout.contains("CREATE"), "\(table.stdout)")
        #expect(table.stdout.contains("unauthenticated") && table.stdout.contains("705ab4f5"), "\(table.stdout)")
    }

    @Test(
        "--unauthenticated-admissions refuse: no certificate gets 401 and a control line; the API server's is decided")
    func unauthenticatedAdmissionsFailClosed() throws {
        let fixture = try AuditLiveTests.AuditFixture()
        let certs = fixture.certs
        let server = try LiveServer(
            certs,
            extraArguments: fixture.serverArguments + [
                "--client-ca", certs.path("ca.pem"), "--unauthenticated-admissions", "refuse", "--shutdown-delay", "0s",
            ])
        let forged = try server.curl(
            certs,
            [
                "-w", "\n%{http_code}", "-H", "Content-Type: application/json", "--data-binary",
                "@" + AdmissionLiveTests.allowedReview, server.url + "/validate/ephi",
            ])
        #expect(forged.stdout.hasSuffix("\n401"), "\(forged.stdout) \(forged.stderr)")
        #expect(forged.stdout.contains("client certificate"), "\(forged.stdout)")
        let signed = try server.curl(
            certs,
            [
                "-w", "%{http_code}", "-o", "/dev/null", "--cert", certs.path("client.pem"), "--key",
                certs.path("client-key.pem"), "-H", "Content-Type: application/json", "--data-binary",
                "@" + AdmissionLiveTests.allowedReview, server.url + "/validate/ephi",
            ])
        #expect(signed.stdout == "200", "\(signed.stderr)")
        Self.stop(server)

        let lines = try Self.auditLines(fixture.logDirectory)
        let decisions = lines.filter { $0["type"] as? String == "decision" }
        #expect(decisions.count == 1, "the refused review must not be a decision: \(decisions)")
        let caller = try #require(decisions.first?["caller"] as? [String: Any])
        #expect(caller["auth"] as? String == "certificate")
        let subject = try ChildProcess.run(
            "openssl", ["x509", "-in", certs.path("client.pem"), "-noout", "-subject", "-nameopt", "RFC2253"])
        #expect("subject=\(caller["subject"] as? String ?? "")" == subject.stdout.trimmingCharacters(in: .newlines))
        #expect((caller["issuer"] as? String)?.contains("Portcullis dev") == true, "\(caller)")
        let fingerprint = try ChildProcess.run(
            "openssl", ["x509", "-in", certs.path("client.pem"), "-noout", "-fingerprint", "-sha256"])
        let hex = fingerprint.stdout.split(separator: "=").last.map {
            $0.replacingOccurrences(of: ":", with: "").lowercased().trimmingCharacters(in: .newlines)
        }
        #expect(caller["fingerprint"] as? String == "sha256:" + (hex ?? ""))
        let refusals = lines.filter { $0["event"] as? String == "unauthenticatedRefused" }
        #expect(refusals.count == 1, "\(lines.compactMap { $0["event"] })")
        #expect((refusals.first?["peer"] as? String)?.hasPrefix("127.0.0.1:") == true)
        #expect(refusals.first?["refused"] as? Int == 1)
        let verified = try fixture.verify()
        #expect(verified.status == 0, "\(verified.output)")
    }

    @Test("--unauthenticated-admissions refuse without --client-ca would refuse everything: startup fails")
    func refuseNeedsAClientCA() throws {
        let certs = try DevCertificates()
        let result = try ChildProcess.run(
            try portcullisBinary(),
            [
                "serve", "--listen", "127.0.0.1:0", "--cert", certs.path("server.pem"), "--key",
                certs.path("server-key.pem"), "--policy", LiveServer.policy, "--unauthenticated-admissions", "refuse",
            ])
        #expect(result.status != 0 && result.status != nil)
        #expect(result.stderr.contains("--client-ca"), "\(result.stderr)")
    }
}
