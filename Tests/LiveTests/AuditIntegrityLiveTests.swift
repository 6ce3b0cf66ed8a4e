import Foundation
import Testing

/// The attacks and accidents of issue 12 through the real binary: what a crash, a restart, an insider on the
/// node's volume or one huge review does to the evidence, and that each is now prevented or detected.
@Suite("portcullis serve: audit integrity across restarts and attacks", .serialized, .timeLimit(.minutes(3)))
struct AuditIntegrityLiveTests {
    typealias Fixture = AuditLiveTests.AuditFixture

    @Test("a 2.4 MB review (600 long image names) is one bounded line; the server restarts and the log verifies")
    func hugeReview() throws {
        let fixture = try Fixture()
        let review = try Self.hugeReview(in: fixture)
        let server = try LiveServer(fixture.certs, extraArguments: fixture.serverArguments)
        let (_, json) = try AdmissionLiveTests.post(server, fixture.certs, path: "/validate/ephi", file: review)
        let response = try #require(json["response"] as? [String: Any])
        #expect(response["allowed"] as? Bool == false)
        server.terminate()
        #expect(server.child.waitForExit(timeout: .seconds(30)) == 0)

        // The next start reads the whole tail; a line no reader holds used to stop it (a crash loop).
        let restarted = try LiveServer(fixture.certs, extraArguments: fixture.serverArguments)
        restarted.terminate()
        #expect(restarted.child.waitForExit(timeout: .seconds(30)) == 0)
        let verified = try fixture.verify()
        #expect(verified.status == 0, "\(verified.output)")

        let lines = try fixture.queryLines()
        let line = try #require(lines.first { $0.object["uid"] as? String == "8f1d1a4e-0c55-4b5e-9b8e-6a7d2c3e4f51" })
        #expect(line.object["decision"] as? String == "denied")
        #expect(
            (line.object["rules"] as? [[String: Any]])?.contains { $0["id"] as? String == "image-reference" } == true)
        let cut = try #require(line.object["cut"] as? [String: Any], "\(line.text.prefix(400))")
        #expect((cut["length"] as? Int ?? 0) > 2_000_000)
        #expect((cut["sha256"] as? String)?.count == 64)
        let longest = try Self.segmentLines(fixture.logDirectory).map(\.count).max() ?? 0
        #expect(longest <= 256 << 10, "a line of \(longest) bytes")
    }

    @Test("a decision line appended while the server is stopped is quarantined at the next start, not signed in")
    func forgedTailWhileStopped() throws {
        let fixture = try Fixture()
        try Self.serve(fixture, decisions: 3)

        // The insider: a well-formed decision with the right seq and prev, appended to the segment. No key needed.
        let segment = try #require(try Self.segments(fixture.logDirectory).last)
        let forged = try ChildProcess.run(
            "python3",
            [
                "-c",
                """
                import hashlib, json, re, sys
                path = sys.argv[1]
                lines = open(path, 'rb').read().splitlines(keepends=True)
                template = next(l for l in reversed(lines) if b'"type":"decision"' in l)
                last = json.loads(lines[-1])
                line = re.sub(rb'^\\{"v":1,"seq":\\d+,"prev":"[0-9a-f]{64}"',
                              b'{"v":1,"seq":%d,"prev":"%s"' % (last['seq'] + 1, hashlib.sha256(lines[-1]).hexdigest().encode()),
                              template)
                line = re.sub(rb'"uid":"[^"]*"', b'"uid":"forged-uid"', line)
                open(path, 'ab').write(line)
                """,
                segment,
            ])
        try #require(forged.status == 0, "\(forged.stderr)")

        let restarted = try LiveServer(fixture.certs, extraArguments: fixture.serverArguments)
        restarted.terminate()
        #expect(restarted.child.waitForExit(timeout: .seconds(30)) == 0)

        let uids = try fixture.queryLines().compactMap { $0.object["uid"] as? String }
        #expect(uids.count == 3)
        #expect(!uids.contains("forged-uid"), "the fabricated decision was signed into the chain")
        let controls = try fixture.queryLines(type: "control").map(\.object)
        let quarantined = controls.first { $0["event"] as? String == "uncoveredLinesQuarantined" }
        #expect(quarantined?["lines"] as? Int == 1)
        let started = controls.last { $0["event"] as? String == "serverStarted" }
        #expect(started?["previousRun"] as? String == "sealed")
        #expect(started?["quarantinedLines"] as? Int == 1)
        let file = try #require(quarantined?["file"] as? String)
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("forged-uid"))
        let verified = try fixture.verify(extra: ["--sealed"])
        #expect(verified.status == 0, "\(verified.output)")
    }

    @Test("kill -9, then the tail is cut back to a checkpoint: the last mirrored checkpoint exposes it")
    func crashTailCut() throws {
        let fixture = try Fixture()
        let server = try LiveServer(fixture.certs, extraArguments: fixture.serverArguments + ["--audit-stdout"])
        let client = try ChildProcess(
            "python3",
            [
                repositoryRoot.appendingPathComponent("Tests/Support/clients/admission_load.py").path,
                server.url + "/validate/ephi", fixture.certs.path("ca.pem"), AdmissionLiveTests.allowedReview, "8",
                "20",
            ])
        #expect(client.stdout.waitFor("\n", count: 200, timeout: .seconds(30)))
        kill(server.pid, SIGKILL)
        #expect(client.waitForExit(timeout: .seconds(30)) != nil)
        let answered = Set(client.stdout.text.split(separator: "\n").map(String.init))
        // What the cluster's log pipeline kept: the server's stdout, whole lines only.
        let mirrored = try #require(
            server.log.split(separator: "\n").last { line in
                line.contains("\"type\":\"checkpoint\"")
                    && (try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil
            })
        try String(mirrored).write(toFile: fixture.certs.path("mirrored.json"), atomically: true, encoding: .utf8)

        // The insider cuts the log back to the checkpoint before the last answered decision, so what is left
        // ends cleanly on a signed checkpoint.
        let segment = try #require(try Self.segments(fixture.logDirectory).last)
        var lines = try Data(contentsOf: URL(fileURLWithPath: segment)).split(
            separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        let objects = lines.map { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        let lastAnswered = try #require(
            objects.lastIndex { ($0?["uid"] as? String).map(answered.contains) ?? false })
        let cutAfter = try #require(
            objects[..<lastAnswered].lastIndex { $0?["type"] as? String == "checkpoint" })
        let kept = lines[...cutAfter].map { Data($0) + Data("\n".utf8) }.reduce(Data(), +)
        try kept.write(to: URL(fileURLWithPath: segment))

        try Self.serve(fixture, decisions: 3)
        let started = try fixture.queryLines(type: "control").map(\.object).last {
            $0["event"] as? String == "serverStarted"
        }
        #expect(started?["previousRun"] as? String == "crashed")

        let verified = try fixture.verify(extra: ["--sealed", "--checkpoint", fixture.certs.path("mirrored.json")])
        #expect(verified.status == 1, "answered decisions were cut and verify says: \(verified.output)")
        #expect(verified.output.contains("external checkpoint"), "\(verified.output)")
    }

    @Test("the first segment removed: verify fails unless retention removed it and recorded that, signed")
    func firstSegmentRemoved() throws {
        for retain in [0, 2] {
            let fixture = try Fixture()
            var arguments = ["--audit-rotate-bytes", "2048"]
            if retain > 0 { arguments += ["--audit-retain", String(retain)] }
            try Self.serve(fixture, decisions: 12, extraArguments: arguments)
            var segments = try Self.segments(fixture.logDirectory)
            if retain > 0 {
                #expect(segments.count == retain)
                let verified = try fixture.verify(extra: ["--sealed"])
                #expect(verified.status == 0, "retention removed segments and recorded it: \(verified.output)")
            }
            #expect(segments.count >= 2)
            try FileManager.default.removeItem(atPath: segments.removeFirst())
            let verified = try fixture.verify(extra: ["--sealed"])
            #expect(verified.status == 1, "retain \(retain): \(verified.output)")
            #expect(verified.output.contains("missingSegment"), "\(verified.output)")
        }
    }

    @Test("the audit directory deleted while serving: the next decision is refused, and the loss stays visible")
    func directoryDeleted() throws {
        let fixture = try Fixture()
        let server = try LiveServer(fixture.certs, extraArguments: fixture.serverArguments)
        #expect(try Self.decision(server, fixture) == (true, nil))
        try FileManager.default.removeItem(atPath: fixture.logDirectory)

        // Before, the server kept answering allowed while writing into the deleted file.
        #expect(try Self.decision(server, fixture) == (false, "AuditUnavailable"))
        let unready = try server.curl(fixture.certs, ["-o", "/dev/null", "-w", "%{http_code}", server.url + "/readyz"])
        #expect(unready.stdout == "503")

        // The writer opens a new segment on its own retry and records the loss there; never the deleted file.
        #expect(try server.waitUntilReady(fixture.certs) == "200")
        #expect(try Self.decision(server, fixture) == (true, nil))
        server.terminate()
        #expect(server.child.waitForExit(timeout: .seconds(30)) == 0)
        let events = try fixture.queryLines(type: "control").compactMap { $0.object["event"] as? String }
        #expect(events.contains("auditSegmentLost") && events.contains("auditRecovered"), "\(events)")
        let verified = try fixture.verify(extra: ["--sealed"])
        #expect(verified.status == 1 && verified.output.contains("missingSegment"), "\(verified.output)")
    }

    @Test("verify pins the head as a signed checkpoint; --checkpoint with it exposes a rollback and a fork")
    func pinnedHead() throws {
        let fixture = try Fixture()
        let head = fixture.certs.path("head.txt")
        let early = fixture.certs.path("early")
        try Self.serve(fixture, decisions: 3)
        try FileManager.default.copyItem(atPath: fixture.logDirectory, toPath: early)
        try Self.serve(fixture, decisions: 3)
        let pinned = try fixture.verify(extra: ["--sealed", "--save-head", head])
        #expect(pinned.status == 0 && pinned.output.contains("head: "), "\(pinned.output)")
        #expect(try String(contentsOfFile: head, encoding: .utf8).contains("\n\n\u{2014} "))

        // Rollback: the node's volume is put back to an earlier copy.
        try FileManager.default.removeItem(atPath: fixture.logDirectory)
        try FileManager.default.copyItem(atPath: early, toPath: fixture.logDirectory)
        let rolledBack = try fixture.verify(extra: ["--sealed", "--checkpoint", head])
        #expect(rolledBack.status == 1 && rolledBack.output.contains("truncated"), "\(rolledBack.output)")

        // Fork: the server runs on from the earlier copy; the log grows past the pin with different lines.
        try Self.serve(fixture, decisions: 8)
        let forked = try fixture.verify(extra: ["--sealed", "--checkpoint", head])
        #expect(forked.status == 1 && forked.output.contains("forked"), "\(forked.output)")
    }

    /// Starts the server on the fixture's log, posts `decisions` allowed reviews, and stops it cleanly.
    private static func serve(_ fixture: Fixture, decisions: Int, extraArguments: [String] = []) throws {
        let server = try LiveServer(fixture.certs, extraArguments: fixture.serverArguments + extraArguments)
        for _ in 0..<decisions { #expect(try decision(server, fixture) == (true, nil)) }
        server.terminate()
        #expect(server.child.waitForExit(timeout: .seconds(30)) == 0)
    }

    private static func decision(_ server: LiveServer, _ fixture: Fixture) throws -> (allowed: Bool?, reason: String?) {
        let (_, json) = try AdmissionLiveTests.post(
            server, fixture.certs, path: "/validate/ephi", file: AdmissionLiveTests.allowedReview)
        let response = json["response"] as? [String: Any]
        return (response?["allowed"] as? Bool, (response?["status"] as? [String: Any])?["reason"] as? String)
    }

    /// Segment files (plain and gzip) in `directory`, oldest first.
    static func segments(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".jsonl") }.sorted()
            .map { directory + "/" + $0 }
    }

    /// The denied example review with 600 containers whose images have 3,900-character repository names.
    static func hugeReview(in fixture: Fixture) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: AdmissionLiveTests.deniedReview))
        var review = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var request = try #require(review["request"] as? [String: Any])
        var object = try #require(request["object"] as? [String: Any])
        var spec = try #require(object["spec"] as? [String: Any])
        spec["initContainers"] = []
        spec["containers"] = (0..<600).map { index in
            ["name": "c\(index)", "image": "docker.io/team/" + String(repeating: "a", count: 3900) + "\(index):latest"]
        }
        object["spec"] = spec
        request["object"] = object
        review["request"] = request
        let path = fixture.certs.path("huge-review.json")
        let body = try JSONSerialization.data(withJSONObject: review)
        #expect(body.count > 2_300_000 && body.count < 3 << 20)
        try body.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every line of the plain segments in `directory`, newline excluded.
    static func segmentLines(_ directory: String) throws -> [Data] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }.sorted()
            .flatMap { name in
                try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)).split(separator: UInt8(ascii: "\n"))
            }
    }
}

extension LiveServer {
    /// Polls /readyz (bounded, about 10 s) until it answers 200; returns the last status seen.
    func waitUntilReady(_ certificates: DevCertificates) throws -> String {
        var ready = ""
        for _ in 0..<50 where ready != "200" {
            Thread.sleep(forTimeInterval: 0.2)
            ready = try curl(certificates, ["-o", "/dev/null", "-w", "%{http_code}", url + "/readyz"]).stdout
        }
        return ready
    }
}

extension AuditLiveTests.AuditFixture {
    /// `audit query -o json` (decisions, or `--type control`): each stored line and its parsed object.
    func queryLines(type: String = "decision") throws -> [(text: String, object: [String: Any])] {
        let result = try ChildProcess.run(
            try portcullisBinary(), ["audit", "query", "--type", type, "-o", "json", logDirectory],
            timeout: .seconds(60))
        return result.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).map { (String(line), $0) }
        }
    }
}
