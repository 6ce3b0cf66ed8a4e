import Foundation
import PortcullisCrypto
import Testing

@testable import Audit
@testable import AuditReading

/// What was admitted is kept apart from what was only asked: server dry runs, and reviews from callers the TLS
/// layer could not authenticate (anyone who reaches the port can send one), in query, summary and report.
@Suite("Audit evidence views: dry runs, operations, callers", .serialized)
struct AuditEvidenceViewTests {
    static let apiServer = AuditRecord.Caller.certificate(
        peer: "10.0.0.2:51234", subject: "CN=kube-apiserver", issuer: "CN=webhook client CA", fingerprint: "sha256:ab")
    static let stranger = AuditRecord.Caller(auth: "unauthenticated", peer: "10.9.9.9:40000")

    /// 6 lines: 3 API-server CREATEs (one a dry run, one denied), an UPDATE of the ephemeralcontainers
    /// subresource, and 2 unauthenticated CREATEs (one denied).
    static func writeLog(_ directory: String) throws -> Ed25519PrivateKey {
        let key = try Ed25519PrivateKey.generate()
        let clock = TestClock()
        let writer = try Fixtures.writer(directory, key: key, clock: clock)
        func add(_ index: Int, _ change: (inout AuditRecord) -> Void) throws {
            var record = Fixtures.record(index)
            change(&record)
            _ = try writer.append(record)
            clock.advance(by: 60)
        }
        try add(0) { $0.caller = apiServer }
        try add(1) {
            $0.caller = apiServer
            $0.dryRun = true
        }
        try add(2) {
            $0.caller = apiServer
            $0.decision = .denied
            $0.rules = [.init(id: "registry-origin", message: "m")]
        }
        try add(3) {
            $0.caller = apiServer
            $0.operation = "UPDATE"
            $0.subResource = "ephemeralcontainers"
        }
        try add(4) { $0.caller = stranger }
        try add(5) {
            $0.caller = stranger
            $0.decision = .denied
            $0.rules = [.init(id: "image-digest", message: "m")]
        }
        writer.close()
        return key
    }

    static func uids(_ query: AuditQuery, _ directory: String) throws -> [String] {
        var uids: [String] = []
        try query.run(paths: [directory]) { entry in
            uids.append(entry.record.uid)
            return true
        }
        return uids
    }

    @Test("query filters by uid, operation, dry run and caller")
    func queryFilters() throws {
        let directory = TemporaryDirectory()
        _ = try Self.writeLog(directory.path)
        var query = AuditQuery()
        query.uid = "uid-3"
        #expect(try Self.uids(query, directory.path) == ["uid-3"])
        query = AuditQuery()
        query.operation = "UPDATE"
        #expect(try Self.uids(query, directory.path) == ["uid-3"])
        query = AuditQuery()
        query.dryRun = .only
        #expect(try Self.uids(query, directory.path) == ["uid-1"])
        query.dryRun = .exclude
        #expect(try Self.uids(query, directory.path) == ["uid-0", "uid-2", "uid-3", "uid-4", "uid-5"])
        query = AuditQuery()
        query.caller = "unauthenticated"
        #expect(try Self.uids(query, directory.path) == ["uid-4", "uid-5"])
        query.caller = "kube-apiserver"
        #expect(try Self.uids(query, directory.path) == ["uid-0", "uid-1", "uid-2", "uid-3"])
    }

    @Test("summary counts dry runs and unauthenticated calls apart from admissions")
    func summaryKeepsThemApart() throws {
        let directory = TemporaryDirectory()
        _ = try Self.writeLog(directory.path)
        var summary = AuditSummary()
        try AuditQuery().scan(paths: [directory.path], types: [.decision]) { line in
            summary.add(line)
            return true
        }
        #expect(summary.dryRuns == 1)
        #expect(summary.unauthenticated == 2)
        // Five real decisions: the dry run changed nothing in the cluster.
        #expect(summary.decisions[.allowed] == 3 && summary.decisions[.denied] == 2)
        #expect(summary.deniedByRule == ["registry-origin": 1, "image-digest": 1])
    }

    @Test("the report counts unauthenticated decisions next to the verdict and lists their callers")
    func reportFlagsUnauthenticatedCallers() throws {
        let directory = TemporaryDirectory()
        let key = try Self.writeLog(directory.path)
        let report = try AuditReportBuilder(key: key.publicKey).build(paths: [directory.path])
        #expect(report.integrity.verdict == "intact")
        #expect(report.integrity.unauthenticatedDecisions == 2)
        #expect(report.totals.decisions == 5 && report.totals.dryRuns == 1 && report.totals.unauthenticated == 2)
        #expect(report.unauthenticatedCallers == [.init(name: "10.9.9.9", count: 2)])
        let html = AuditReportHTML.render(report)
        #expect(html.contains("id=\"unauthenticated-callers\""))
        #expect(html.contains("data-unauthenticated=\"2\""))
    }
}
