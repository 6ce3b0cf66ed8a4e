import Foundation
import PortcullisCrypto
import Testing

@testable import Audit
@testable import AuditReading

/// `audit reconcile` against real kube-apiserver v1.36.2 events: as recorded (no anchors yet), and copies
/// anchored to a log the real writer wrote.
@Suite("audit reconcile")
struct ReconcileTests {
    @Test("the real events as recorded: one failed-open pod create is a bypass; refused and invalid creates are not")
    func realEventsWithoutAnchors() throws {
        let fixture = try ReconcileFixture()
        _ = try fixture.writeLog(count: 0)
        let result = try AuditReconciler(regulated: APIServerEvents.policy())
            .reconcile(apiServerAudit: [APIServerEvents.file], logPaths: [fixture.path("log")])
        #expect(result.findings.count == 1, "\(result.findings)")
        let bypass = try #require(result.findings.first)
        #expect(bypass.cause == .bypassed)
        #expect(bypass.location == "\(APIServerEvents.file):\(APIServerEvents.failedOpenPodCreate)")
        #expect(bypass.message.contains("public-sandbox/while-down-public"))
        #expect(bypass.message.contains("public.portcullis.io failed and failurePolicy Ignore admitted it"))
        // 25 requests carry Portcullis's decision but no anchor (recorded before anchors); 3 were refused
        // because the webhook was down or timed out (HTTP 500: nothing created, so no bypass).
        #expect(result.unanchoredRequests == 25)
        #expect(result.failedWebhookCalls == 3)
        #expect(result.window == "2026-12-01T06:38:01.637394Z"..."2026-12-01T06:38:47.584650Z")
    }

    @Test("a class that fails open by configuration may be bypassed: the same events are consistent")
    func failOpenClassIsNotABypass() throws {
        let fixture = try ReconcileFixture()
        _ = try fixture.writeLog(count: 0)
        let result = try AuditReconciler(regulated: APIServerEvents.policy(failOpen: ["public"]))
            .reconcile(apiServerAudit: [APIServerEvents.file], logPaths: [fixture.path("log")])
        #expect(result.isConsistent, "\(result.findings)")
    }

    @Test("a pod created in a regulated namespace with no Portcullis annotation at all is reported")
    func bypassInRegulatedNamespace() throws {
        let fixture = try ReconcileFixture()
        _ = try fixture.writeLog(count: 0)
        // The real allowed create, with Portcullis's annotations taken off: the webhook was never called.
        let stripped = APIServerEvents.line(APIServerEvents.allowedPodCreate)
            .replacingOccurrences(
                of: #""ephi\.portcullis\.io/[a-z0-9-]+":"[^"]*","#, with: "", options: .regularExpression)
        #expect(!stripped.contains("portcullis"))
        let result = try fixture.reconcile(events: [stripped])
        #expect(result.findings.map(\.cause) == [.bypassed])
        #expect(result.findings.first?.message.contains("namespace clinical-nlp, class ephi") == true)
    }

    @Test("every decision matched by the event that anchors it: consistent")
    func anchoredDecisionsMatch() throws {
        let fixture = try ReconcileFixture()
        let anchors = try fixture.writeLog(count: 3)
        let events = [
            APIServerEvents.anchored(APIServerEvents.allowedPodCreate, anchors[0]),
            APIServerEvents.anchored(APIServerEvents.deniedPodCreate, anchors[1]),
            APIServerEvents.anchored(APIServerEvents.allowedPodCreate, anchors[2]),
        ]
        let result = try fixture.reconcile(events: events)
        #expect(result.isConsistent, "\(result.findings)")
        #expect(result.chains == [.init(chain: "portcullis-0", decisionsInWindow: 3, matched: 3, anchoredEvents: 3)])
    }

    @Test("a decision no API server event anchors (forged on the node, or a direct caller) is reported")
    func forgedDecision() throws {
        let fixture = try ReconcileFixture()
        let anchors = try fixture.writeLog(count: 3)
        let result = try fixture.reconcile(events: [
            APIServerEvents.anchored(APIServerEvents.allowedPodCreate, anchors[0]),
            APIServerEvents.anchored(APIServerEvents.deniedPodCreate, anchors[2]),
        ])
        #expect(result.findings.map(\.cause) == [.noAPIServerEvent])
        let finding = try #require(result.findings.first)
        #expect(finding.seq == anchors[1].seq && finding.chain == "portcullis-0")
        #expect(finding.message.contains("decision uid-1") && finding.message.contains("clinical-nlp/pod-1"))
        #expect(finding.location.hasSuffix(".jsonl:\(anchors[1].seq)"))
    }

    @Test("a line an API server event anchors, deleted from the log, is reported missing")
    func deletedLine() throws {
        let fixture = try ReconcileFixture()
        let anchors = try fixture.writeLog(count: 3)
        try fixture.editSegment { lines in lines.removeAll { $0.contains("\"uid\":\"uid-1\"") } }
        let events = anchors.map { APIServerEvents.anchored(APIServerEvents.allowedPodCreate, $0) }
        let result = try fixture.reconcile(events: events)
        #expect(result.findings.map(\.cause) == [.missing])
        #expect(result.findings.first?.seq == anchors[1].seq)
        #expect(result.findings.first?.message.contains("deleted, or rolled back and cut") == true)
    }

    @Test("a line edited after it was answered is reported: its hash differs from the anchored one")
    func editedLine() throws {
        let fixture = try ReconcileFixture()
        let anchors = try fixture.writeLog(count: 2)
        try fixture.editSegment { lines in
            lines = lines.map { $0.replacingOccurrences(of: "\"name\":\"pod-1\"", with: "\"name\":\"pod-9\"") }
        }
        let events = anchors.map { APIServerEvents.anchored(APIServerEvents.allowedPodCreate, $0) }
        let result = try fixture.reconcile(events: events)
        #expect(result.findings.map(\.cause) == [.differs])
        #expect(result.findings.first?.seq == anchors[1].seq)
        #expect(result.findings.first?.message.contains(anchors[1].lineSHA256.hex) == true)
    }

    @Test("a rolled-back log is reported: the anchored lines after the rollback point are missing")
    func rolledBack() throws {
        let fixture = try ReconcileFixture()
        let anchors = try fixture.writeLog(count: 3)
        _ = try fixture.writeLog("rolled-back", count: 1)  // the same first decision, then nothing
        let events = anchors.map { APIServerEvents.anchored(APIServerEvents.allowedPodCreate, $0) }
        let result = try fixture.reconcile(events: events, log: "rolled-back")
        #expect(result.findings.map(\.cause) == [.missing, .missing])
        #expect(result.findings.map(\.seq) == [anchors[1].seq, anchors[2].seq])
    }

    @Test("a fork is reported: the same first line, but the checkpoint after it signs another tree")
    func forked() throws {
        let fixture = try ReconcileFixture()
        let anchors = try fixture.writeLog(count: 1)
        // Rolled back to nothing, then the same decision written again in one batch with another one.
        let writer = try fixture.writer("forked")
        _ = try writer.append(
            batch: [0, 7].map {
                PendingLine(type: .decision, members: ReconcileFixture.record($0).encodedMembers())
            })
        writer.close()
        let result = try fixture.reconcile(
            events: [APIServerEvents.anchored(APIServerEvents.allowedPodCreate, anchors[0])], log: "forked")
        #expect(result.findings.map(\.cause).contains(.differs), "\(result.findings)")
        let fork = try #require(result.findings.first { $0.cause == .differs })
        #expect(fork.seq == anchors[0].seq && fork.message.contains("a fork"))
        #expect(result.findings.contains { $0.cause == .noAPIServerEvent && $0.message.contains("uid-7") })
    }

    @Test("an anchor that cannot be read is reported with its event's line")
    func unreadableAnchor() throws {
        let fixture = try ReconcileFixture()
        let anchors = try fixture.writeLog(count: 1)
        let event = APIServerEvents.anchored(
            APIServerEvents.allowedPodCreate, anchors[0], extra: [AuditAnchor.Key.seq: "twelve"])
        let result = try fixture.reconcile(events: [event])
        #expect(result.findings.map(\.cause).contains(.unreadableAnchor))
        #expect(result.findings.first { $0.cause == .unreadableAnchor }?.message.contains("\"twelve\"") == true)
        #expect(result.findings.first { $0.cause == .unreadableAnchor }?.location.hasSuffix(".log:1") == true)
    }

    @Test("a malformed event line is an error naming its file and line, not a crash")
    func malformedEventLine() throws {
        let fixture = try ReconcileFixture()
        _ = try fixture.writeLog(count: 0)
        let events = [APIServerEvents.line(1), "{\"kind\":\"Event\",\"apiVersion\":", APIServerEvents.line(2)]
        let error = #expect(throws: AuditError.self) { try fixture.reconcile(events: events) }
        #expect(error?.message.contains(".log:2: not an audit.k8s.io/v1 Event JSON line") == true)
        let wrongKind = #expect(throws: AuditError.self) {
            try fixture.reconcile(events: [#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}"#])
        }
        #expect(wrongKind?.message.contains(".log:1:") == true)
    }

    @Test("anchor annotation keys are valid qualified names of at most 63 characters and read back")
    func anchorAnnotations() throws {
        let fixture = try ReconcileFixture()
        let anchor = try #require(try fixture.writeLog(count: 1).first)
        for key in anchor.annotations.keys {
            #expect(key.utf8.count <= 63)
            #expect(key.range(of: "^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$", options: .regularExpression) != nil)
        }
        #expect(try AuditAnchor(annotations: anchor.annotations) == anchor)
        // The line it names is the line on disk, newline included.
        let line = try #require(
            try String(contentsOfFile: try fixture.segment(), encoding: .utf8).split(separator: "\n").first {
                $0.contains("\"seq\":\(anchor.seq),")
            })
        #expect(SHA256.hash(Array((line + "\n").utf8)) == anchor.lineSHA256)
    }
}
