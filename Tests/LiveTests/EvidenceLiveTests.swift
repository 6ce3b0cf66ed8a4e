import Foundation
import Testing

/// Control events through the real binary: each trigger — start, policy reload good and bad, certificate
/// rotation, segment rotation, torn tail after a crash, stop — leaves its line in the verified chain,
/// and `audit query --type control`, `audit summary` and `audit report` see them.
@Suite("portcullis serve: control events in the audit log", .serialized, .timeLimit(.minutes(2)))
struct EvidenceLiveTests {
    @Test("every control trigger leaves a line in the chain, and the log still verifies")
    func controlEvents() throws {
        let fixture = try AuditLiveTests.AuditFixture()
        let second = try DevCertificates()
        let work = fixture.certs.directory.appendingPathComponent("evidence")
        let policy = work.appendingPathComponent("policy.yaml").path
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let policyText = try String(contentsOfFile: LiveServer.policy, encoding: .utf8)
        try policyText.write(toFile: policy, atomically: true, encoding: .utf8)
        let mount = try CertificateMount(
            in: work, cert: fixture.certs.path("server.pem"), key: fixture.certs.path("server-key.pem"))
        let arguments =
            fixture.serverArguments + [
                "--policy-reload-interval", "100ms", "--cert-reload-interval", "100ms", "--audit-rotate-bytes", "1500",
            ]

        let server = try LiveServer(cert: mount.cert, key: mount.key, policy: policy, extraArguments: arguments)
        try (policyText + "\nnot: [valid").write(toFile: policy, atomically: true, encoding: .utf8)
        #expect(server.child.stdout.waitFor("the previous policy stays in force", timeout: .seconds(10)))
        try (policyText + "\n# reviewed change\n").write(toFile: policy, atomically: true, encoding: .utf8)
        #expect(server.child.stdout.waitFor("policy reloaded", timeout: .seconds(10)))
        try mount.switchTo(cert: second.path("server.pem"), key: second.path("server-key.pem"))
        #expect(server.child.stdout.waitFor("reloaded TLS certificate", timeout: .seconds(10)))
        server.terminate()
        #expect(server.child.waitForExit(timeout: .seconds(30)) == 0)

        // A crash mid-write leaves a torn last line; the next start quarantines and records it.
        let segments = try FileManager.default.contentsOfDirectory(atPath: fixture.logDirectory)
            .filter { $0.hasSuffix(".jsonl") }.sorted()
        let current = try #require(segments.last.map { fixture.logDirectory + "/" + $0 })
        let handle = try #require(FileHandle(forWritingAtPath: current))
        handle.seekToEndOfFile()
        handle.write(Data("{\"v\":1,\"seq\":99,\"prev\":\"00".utf8))
        handle.closeFile()
        let restarted = try LiveServer(cert: mount.cert, key: mount.key, policy: policy, extraArguments: arguments)
        restarted.terminate()
        #expect(restarted.child.waitForExit(timeout: .seconds(30)) == 0)

        let binary = try portcullisBinary()
        let query = try ChildProcess.run(
            binary, ["audit", "query", "--type", "control", "-o", "json", fixture.logDirectory])
        #expect(query.status == 0, "\(query.stderr)")
        let events = query.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        let names = events.compactMap { $0["event"] as? String }
        for expected in [
            "serverStarted", "policyLoaded", "certificateLoaded", "policyRejected", "policyReloaded",
            "certificateRotated", "segmentRotated", "serverStopped", "tornTailQuarantined",
        ] {
            #expect(names.contains(expected), "no \(expected) in \(names)")
        }
        #expect(events.allSatisfy { $0["type"] as? String == "control" })
        #expect(names.filter { $0 == "serverStarted" }.count == 2 && names.filter { $0 == "serverStopped" }.count == 2)
        let rotated = try #require(events.first { $0["event"] as? String == "certificateRotated" })
        let secondSerial = try ChildProcess.run(
            "openssl", ["x509", "-noout", "-serial", "-in", second.path("server.pem")])
        #expect(secondSerial.stdout.contains(rotated["serial"] as? String ?? "missing"))
        let reloaded = try #require(events.first { $0["event"] as? String == "policyReloaded" })
        let started = try #require(events.first { $0["event"] as? String == "policyLoaded" })
        #expect(reloaded["previousSHA256"] as? String == started["sha256"] as? String)
        #expect(reloaded["sha256"] as? String != reloaded["previousSHA256"] as? String)

        let verified = try fixture.verify()
        #expect(verified.status == 0, "\(verified.output)")
        let summary = try ChildProcess.run(binary, ["audit", "summary", fixture.logDirectory])
        #expect(summary.stdout.contains("; \(events.count) control events"), "\(summary.stdout)")
        let report = try ChildProcess.run(
            binary, ["audit", "report", "--key", fixture.publicKey, "-o", "json", fixture.logDirectory])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        #expect((json["integrity"] as? [String: Any])?["verdict"] as? String == "intact")
        #expect((json["integrity"] as? [String: Any])?["quarantines"] as? Int == 1)
        #expect((json["totals"] as? [String: Any])?["control"] as? Int == events.count)
    }

    @Test("audit report on an edited log writes the report, leads with the failure and exits 1")
    func tamperedReport() throws {
        let fixture = try AuditLiveTests.AuditFixture()
        let server = try LiveServer(fixture.certs, extraArguments: fixture.serverArguments)
        server.terminate()
        #expect(server.child.waitForExit(timeout: .seconds(30)) == 0)
        let segment = try #require(
            try FileManager.default.contentsOfDirectory(atPath: fixture.logDirectory).first { $0.hasSuffix(".jsonl") })
        let path = fixture.logDirectory + "/" + segment
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "enforcement: ", with: "enforcement: none; ")
            .write(toFile: path, atomically: false, encoding: .utf8)
        let output = fixture.certs.path("report.html")
        let report = try ChildProcess.run(
            try portcullisBinary(), ["audit", "report", "--key", fixture.publicKey, "-o", output, fixture.logDirectory])
        #expect(report.status == 1)
        let html = try String(contentsOfFile: output, encoding: .utf8)
        let verdict = try #require(html.range(of: "INTEGRITY FAILURE"))
        #expect(html.range(of: "id=\"count-total\"").map { verdict.lowerBound < $0.lowerBound } == true)
    }
}
