import Foundation
import Testing

/// Anchoring through the real binary: `serve` answers with the line's anchor, and `audit reconcile` compares the
/// log with API server events built from real kube-apiserver v1.36.2 events carrying those answers.
@Suite("portcullis serve and audit reconcile", .serialized, .timeLimit(.minutes(2)))
struct ReconcileLiveTests {
    static let realEvents = repositoryRoot.appendingPathComponent(
        "Tests/AuditReadingTests/Fixtures/kube-apiserver-v1.36/audit-events.jsonl"
    ).path

    @Test("answers carry their line's anchor; reconcile names a direct caller's decision and an edited line")
    func anchoredAnswers() throws {
        let fixture = try AuditLiveTests.AuditFixture()
        let server = try LiveServer(
            fixture.certs, extraArguments: fixture.serverArguments + ["--audit-chain-id", "pc-0"])
        let (first, firstSpan) = try Self.admit(server, fixture, AdmissionLiveTests.allowedReview)
        let (direct, _) = try Self.admit(server, fixture, AdmissionLiveTests.deniedReview)
        let (third, thirdSpan) = try Self.admit(server, fixture, AdmissionLiveTests.allowedReview)
        server.terminate()
        #expect(server.child.waitForExit(timeout: .seconds(30)) == 0)

        // The anchor names the line on disk: its seq, and the SHA-256 of its bytes with the newline.
        #expect(first["audit-chain"] == "pc-0" && first["decision"] == "allow" && direct["decision"] == "deny")
        let segment = try #require(
            try FileManager.default.contentsOfDirectory(atPath: fixture.logDirectory).first { $0.hasSuffix(".jsonl") })
        let logLines = try String(contentsOfFile: fixture.logDirectory + "/" + segment, encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let seq = try #require(first["audit-seq"])
        let line = try #require(logLines.first { $0.hasPrefix("{\"v\":1,\"seq\":\(seq),") })
        let hash = try ChildProcess.run("sha256sum", [], input: line + "\n").stdout.prefix(64)
        #expect(String(hash) == first["audit-line-sha256"])
        #expect(first["audit-root"]?.range(of: #"^\d+:[A-Za-z0-9+/]{43}=$"#, options: .regularExpression) != nil)

        let real = try String(contentsOfFile: Self.realEvents, encoding: .utf8).split(separator: "\n").map(String.init)
        let allowedEvent = real[32]  // line 33: a pod create allowed by ephi.portcullis.io
        let deniedEvent = real[46]  // line 47: a pod create denied by ephi.portcullis.io
        let events = fixture.certs.path("apiserver-audit.log")
        try [Self.event(allowedEvent, first, firstSpan), Self.event(allowedEvent, third, thirdSpan)]
            .joined(separator: "\n").appending("\n").write(toFile: events, atomically: true, encoding: .utf8)
        let missingEvent = try Self.reconcile(events, fixture)
        #expect(missingEvent.status == 1, "\(missingEvent.output)")
        #expect(missingEvent.output.contains("noAPIServerEvent: ") && missingEvent.output.contains("(chain pc-0 seq "))
        #expect(missingEvent.output.contains("decision \(Self.deniedUID)"), "\(missingEvent.output)")

        // With the API server's event for the denied request too, every decision has its event.
        try
            ([
                Self.event(allowedEvent, first, firstSpan),
                Self.event(deniedEvent, direct, firstSpan.upperBound...thirdSpan.lowerBound),
                Self.event(allowedEvent, third, thirdSpan),
            ]
            .joined(separator: "\n") + "\n").write(toFile: events, atomically: true, encoding: .utf8)
        let consistent = try Self.reconcile(events, fixture)
        #expect(consistent.status == 0, "\(consistent.output)")
        #expect(consistent.output.contains("chain pc-0: 3 decision(s) in that span, 3 line(s) matched"))

        // Editing the first answered line on the node: the API server's record no longer matches it.
        let edited = logLines.map { $0 == line ? $0.replacingOccurrences(of: "\"user\":\"", with: "\"user\":\"x") : $0 }
        try (edited.joined(separator: "\n") + "\n").write(
            toFile: fixture.logDirectory + "/" + segment, atomically: false, encoding: .utf8)
        let differs = try Self.reconcile(events, fixture)
        #expect(differs.status == 1 && differs.output.contains("differs: ") && differs.output.contains("seq \(seq)):"))

        try "{\"kind\":\"Event\"\n".write(toFile: events, atomically: true, encoding: .utf8)
        let unreadable = try Self.reconcile(events, fixture)
        #expect(
            unreadable.status == 2 && unreadable.output.contains("apiserver-audit.log:1: not an audit.k8s.io/v1 Event"))
    }

    static let deniedUID = "8f1d1a4e-0c55-4b5e-9b8e-6a7d2c3e4f51"

    /// Posts a review; returns the response's audit annotations and the span the request took.
    static func admit(_ server: LiveServer, _ fixture: AuditLiveTests.AuditFixture, _ review: String) throws
        -> ([String: String], ClosedRange<Date>)
    {
        let sent = Date()
        let (_, json) = try AdmissionLiveTests.post(server, fixture.certs, path: "/validate/ephi", file: review)
        let annotations = (json["response"] as? [String: Any])?["auditAnnotations"] as? [String: String] ?? [:]
        return (annotations, sent...Date())
    }

    /// A copy of a real API server event for a request answered with `annotations`: each key prefixed with the
    /// webhook's name, as the API server writes it; the request's times and a fresh audit ID.
    static func event(_ real: String, _ annotations: [String: String], _ span: ClosedRange<Date>) throws -> String {
        var event = try #require(try JSONSerialization.jsonObject(with: Data(real.utf8)) as? [String: Any])
        var recorded = event["annotations"] as? [String: String] ?? [:]
        for key in recorded.keys where key.hasPrefix("ephi.portcullis.io/") { recorded[key] = nil }
        for (key, value) in annotations { recorded["ephi.portcullis.io/" + key] = value }
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        event["annotations"] = recorded
        event["auditID"] = UUID().uuidString.lowercased()
        event["requestReceivedTimestamp"] = format.string(from: span.lowerBound.addingTimeInterval(-0.001))
        event["stageTimestamp"] = format.string(from: span.upperBound.addingTimeInterval(0.001))
        let data = try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    static func reconcile(_ events: String, _ fixture: AuditLiveTests.AuditFixture) throws
        -> (status: Int32?, output: String)
    {
        let result = try ChildProcess.run(
            try portcullisBinary(),
            [
                "audit", "reconcile", "--apiserver-audit", events, "--policy", LiveServer.policy, "--fail-open",
                "public", fixture.logDirectory,
            ])
        return (result.status, result.stdout + result.stderr)
    }
}
