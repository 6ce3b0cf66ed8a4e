import Foundation
import Logging
import PortcullisCrypto

@testable import Audit
@testable import AuditReading

/// A Portcullis log written by the real writer, with the API server events that anchor its decisions.
final class ReconcileFixture {
    let directory: String
    let key: Ed25519PrivateKey
    /// Every line's time: inside the real events' span (06:38:01Z … 06:38:47Z), so the decisions are compared;
    /// fixed, so two writers given the same decisions write the same bytes (a fork starts identical).
    static let time = Date(timeIntervalSince1970: 1_796_107_090)

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/reconcile-test-XXXXXX").utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        key = try Ed25519PrivateKey.generate()
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { directory + "/" + name }

    /// A writer on `log` (a subdirectory) with chain `portcullis-0`, stamping lines with the fixture's clock.
    func writer(_ log: String = "log") throws -> AuditWriter {
        try AuditWriter(
            configuration: AuditConfiguration(
                directory: path(log), chainID: "portcullis-0", origin: "portcullis.test/audit", retryInterval: 0.02),
            signingKey: key, clock: { Self.time },
            logger: Logger(label: "reconcile-tests", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// A minimal pod decision; tests tweak what they care about.
    static func record(_ index: Int, decision: AuditRecord.Decision = .allowed) -> AuditRecord {
        AuditRecord(
            uid: "uid-\(index)", operation: "CREATE", kind: .init(group: "", version: "v1", kind: "Pod"),
            resource: "pods", namespace: "clinical-nlp", name: "pod-\(index)", user: "realk8s-admin",
            groups: ["system:authenticated"], dataClass: "ephi", decision: decision, mode: "enforce", rules: [],
            images: [], policySHA256: String(repeating: "ab", count: 32), latencyMicros: 120)
    }

    /// Writes `count` decisions, one batch each (as sequential requests are), and closes the log.
    func writeLog(_ log: String = "log", count: Int) throws -> [AuditAnchor] {
        let writer = try writer(log)
        let anchors = try (0..<count).map { try writer.appendAnchored(Self.record($0)) }
        writer.close()
        return anchors
    }

    func segment(_ log: String = "log") throws -> String {
        guard
            let name = try FileManager.default.contentsOfDirectory(atPath: path(log)).first(where: {
                $0.hasSuffix(".jsonl")
            })
        else { throw AuditError("no segment in \(path(log))") }
        return path(log) + "/" + name
    }

    /// Rewrites the log's segment through `edit` on its lines.
    func editSegment(_ log: String = "log", _ edit: (inout [String]) -> Void) throws {
        let file = try segment(log)
        var lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        edit(&lines)
        try lines.map { $0 + "\n" }.joined().write(toFile: file, atomically: false, encoding: .utf8)
    }

    func reconcile(
        events: [String], log: String = "log", failOpen: Set<String> = []
    ) throws -> Reconciliation {
        let file = path("apiserver-audit-\(UUID().uuidString).log")
        try events.map { $0 + "\n" }.joined().write(toFile: file, atomically: false, encoding: .utf8)
        return try AuditReconciler(regulated: APIServerEvents.policy(failOpen: failOpen))
            .reconcile(apiServerAudit: [file], logPaths: [path(log)])
    }
}

/// The real kube-apiserver v1.36.2 events (Fixtures/kube-apiserver-v1.36/README.md) and anchored copies of them.
enum APIServerEvents {
    static let file = Bundle.module.path(
        forResource: "audit-events", ofType: "jsonl", inDirectory: "Fixtures/kube-apiserver-v1.36")!

    /// The event lines exactly as the API server wrote them.
    static let lines: [String] = try! String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        .map(String.init)

    /// 1-based, as an editor and the reconcile output count.
    static func line(_ number: Int) -> String { lines[number - 1] }

    /// Line 33: a pod the job controller created in clinical-nlp, allowed by ephi.portcullis.io.
    static let allowedPodCreate = 33
    /// Line 47: a pod create in clinical-nlp denied by ephi.portcullis.io (blanket-toleration).
    static let deniedPodCreate = 47
    /// Line 77: a pod create in public-sandbox admitted after the call to public.portcullis.io failed open.
    static let failedOpenPodCreate = 77

    /// deploy/policy.yaml's namespace map: every class fails closed unless named in `failOpen`.
    static func policy(failOpen: Set<String> = []) -> RegulatedNamespaces {
        RegulatedNamespaces(
            namespaceClasses: [
                "clinical-nlp": "ephi", "radiology-ml": "ephi", "payments-fraud": "cardholder-data",
                "crm-personalisation": "personal-data", "finance-forecasting": "financial-reporting",
            ], defaultClass: "public", failOpen: failOpen, excluded: ["kube-system", "portcullis"])
    }

    /// A copy of real event `number` as the API server writes it for a request Portcullis answered with `anchor`:
    /// the anchor's annotations added under the webhook's name (the map keeps Go's sorted key order), its
    /// timestamps moved around the fixture's decisions (received before, completed after, as a webhook call
    /// sits inside its request), and a fresh audit ID so several copies are distinct requests.
    static func anchored(
        _ number: Int, _ anchor: AuditAnchor, webhook: String = "ephi.portcullis.io",
        extra: [String: String] = [:]
    ) -> String {
        var text = line(number)
        let annotationsStart = text.range(of: ",\"annotations\":")!
        let object = try! JSONSerialization.jsonObject(with: Data(text[annotationsStart.upperBound...].dropLast().utf8))
        var annotations = object as! [String: String]
        for (key, value) in anchor.annotations.merging(extra, uniquingKeysWith: { $1 }) {
            annotations["\(webhook)/\(key)"] = value
        }
        let encoded = try! JSONSerialization.data(
            withJSONObject: annotations, options: [.sortedKeys, .withoutEscapingSlashes])
        text = String(text[..<annotationsStart.upperBound]) + String(decoding: encoded, as: UTF8.self) + "}"
        for (member, time) in [
            ("requestReceivedTimestamp", "2026-12-01T06:38:09.990000Z"),
            ("stageTimestamp", "2026-12-01T06:38:10.010000Z"),
        ] {
            text = text.replacingOccurrences(
                of: "\"\(member)\":\"[^\"]*\"", with: "\"\(member)\":\"\(time)\"", options: .regularExpression)
        }
        return text.replacingOccurrences(
            of: "\"auditID\":\"[^\"]*\"", with: "\"auditID\":\"\(UUID().uuidString.lowercased())\"",
            options: .regularExpression)
    }
}
