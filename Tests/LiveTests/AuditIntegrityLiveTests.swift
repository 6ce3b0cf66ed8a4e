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
