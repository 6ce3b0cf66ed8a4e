import Foundation
import Testing

/// The audit promise through the real binary: evidence is durable before the answer leaves, survives
/// `kill -9`, and a full disk turns into denials and unreadiness, not silent admissions.
@Suite("portcullis serve: audit log", .serialized, .timeLimit(.minutes(2)))
struct AuditLiveTests {
    /// A fresh directory with a checkpoint signing key pair.
    struct AuditFixture {
        let certs: DevCertificates
        let logDirectory: String
        let privateKey: String
        let publicKey: String

        init(logDirectory: String? = nil) throws {
            certs = try DevCertificates()
            self.logDirectory = logDirectory ?? certs.path("audit")
            privateKey = certs.path("audit-key.pem")
            publicKey = certs.path("audit-key.pub")
            let made = try ChildProcess.run(
                try portcullisBinary(), ["audit", "keygen", "--private-key", privateKey, "--public-key", publicKey])
            try #require(made.status == 0, "\(made.stderr)")
        }

        var serverArguments: [String] { ["--audit-dir", logDirectory, "--audit-key", privateKey] }

        func verify(extra: [String] = []) throws -> (status: Int32?, output: String) {
            let result = try ChildProcess.run(
                try portcullisBinary(), ["audit", "verify", "--key", publicKey] + extra + [logDirectory],
                timeout: .seconds(60))
            return (result.status, result.stdout + result.stderr)
        }

        func loggedUIDs() throws -> Set<String> {
            let result = try ChildProcess.run(
                try portcullisBinary(), ["audit", "query", "-o", "json", logDirectory], timeout: .seconds(60))
            var uids = Set<String>()
            for line in result.stdout.split(separator: "\n") {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let uid = object["uid"] as? String
                {
                    uids.insert(uid)
                }
            }
            return uids
        }
    }

    @Test("kill -9 under load: every answered admission has its line, and the chain verifies after restart")
    func crash() throws {
        let fixture = try AuditFixture()
        let server = try LiveServer(fixture.certs, extraArguments: fixture.serverArguments)
        let client = try ChildProcess(
            "python3",
            [
                repositoryRoot.appendingPathComponent("Tests/Support/clients/admission_load.py").path,
                server.url + "/validate/ephi", fixture.certs.path("ca.pem"),
                AdmissionLiveTests.allowedReview, "8", "20",
            ])
        // Let answers flow, then kill the server mid-stream.
        #expect(client.stdout.waitFor("\n", count: 200, timeout: .seconds(30)))
        kill(server.pid, SIGKILL)
        #expect(client.waitForExit(timeout: .seconds(30)) != nil)
        let answered = Set(client.stdout.text.split(separator: "\n").map(String.init))
        #expect(answered.count >= 200)

        // Restart on the same log: the writer checks the tail (quarantining a torn line) and carries on.
        let restarted = try LiveServer(fixture.certs, extraArguments: fixture.serverArguments)
        restarted.terminate()
        #expect(restarted.child.waitForExit(timeout: .seconds(30)) == 0)

        let logged = try fixture.loggedUIDs()
        let missing = answered.subtracting(logged)
        #expect(missing.isEmpty, "\(missing.count) answered admissions have no audit line, e.g. \(missing.first ?? "")")
        let verified = try fixture.verify()
        #expect(verified.status == 0, "\(verified.output)")
    }

    @Test("a full disk denies with AuditUnavailable and turns /readyz unready, then recovers by itself")
    func diskFull() throws {
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-full-\(UUID())").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try ChildProcess.run("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "mounting a tmpfs needs root: \(mounted.stderr)")
        defer { _ = try? ChildProcess.run("umount", ["-l", mountPoint]) }

        let fixture = try AuditFixture(logDirectory: mountPoint + "/audit")
        let server = try LiveServer(fixture.certs, extraArguments: fixture.serverArguments)
        #expect(try decision(server, fixture) == (true, nil))

        // Fill the file system to the last byte.
        let filler = mountPoint + "/filler"
        _ = try ChildProcess.run("dd", ["if=/dev/zero", "of=\(filler)", "bs=4k"], timeout: .seconds(30))
        // The segment's last page may still have room for a line or two; the next ones cannot fit.
        var denied = try decision(server, fixture)
        for _ in 0..<8 where denied.allowed == true {
            denied = try decision(server, fixture)
        }
        #expect(denied.allowed == false)
        #expect(denied.reason == "AuditUnavailable")
        let unready = try server.curl(fixture.certs, ["-o", "/dev/null", "-w", "%{http_code}", server.url + "/readyz"])
        #expect(unready.stdout == "503")
        // While the log stays unwritable and no request arrives, the writer retries at its interval: no spin.
        let cpuBefore = FaultLiveTests.cpuSeconds(server.pid)
        Thread.sleep(forTimeInterval: 3)
        let idleCPU = FaultLiveTests.cpuSeconds(server.pid) - cpuBefore
        #expect(idleCPU < 0.15, "the server used \(idleCPU) s of CPU in 3 s with the audit log unwritable")

        try FileManager.default.removeItem(atPath: filler)
        // The writer retries on its own (every second by default): readiness returns without traffic.
        #expect(try server.waitUntilReady(fixture.certs) == "200")
        #expect(try decision(server, fixture) == (true, nil))
        server.terminate()
        #expect(server.child.waitForExit(timeout: .seconds(30)) == 0)
        let verified = try fixture.verify()
        #expect(verified.status == 0, "\(verified.output)")
    }

    private func decision(_ server: LiveServer, _ fixture: AuditFixture) throws -> (allowed: Bool?, reason: String?) {
        let (_, json) = try AdmissionLiveTests.post(
            server, fixture.certs, path: "/validate/ephi", file: AdmissionLiveTests.allowedReview)
        let response = json["response"] as? [String: Any]
        return (response?["allowed"] as? Bool, (response?["status"] as? [String: Any])?["reason"] as? String)
    }
}
