import Foundation
import PortcullisCrypto
import Testing

@testable import Audit
@testable import AuditReading

/// A log with known counts, so every number the report shows can be checked.
private struct KnownLog {
    static let digest = "sha256:" + String(repeating: "d", count: 64)
    let directory = TemporaryDirectory()
    let key: Ed25519PrivateKey

    /// 30 allowed (signed image, 3 of them exempted), 8 denied by registry-origin in team-a by mallory,
    /// 4 denied by require-digest in team-b by bob, 5 warned in warn mode, 2 errors; 4 control events;
    /// spread over two hours one minute apart.
    init() throws {
        key = try Ed25519PrivateKey.generate()
        let clock = TestClock()
        let writer = try Fixtures.writer(directory.path, key: key, clock: clock)
        try writer.append(.policyLoaded(path: "policy.yaml", sha256: String(repeating: "1", count: 64)))
        try writer.append(.trustMaterial([.init(name: "corp-signer", fingerprints: ["fp1"])], changed: false))
        var index = 0
        func add(_ record: AuditRecord) throws {
            _ = try writer.append(record)
            index += 1
            clock.advance(by: 60)
        }
        let image = AuditRecord.Image(
            reference: "registry.internal/app:1", digest: KnownLog.digest, authority: "corp-signer")
        for i in 0..<30 {
            var record = Fixtures.record(index, images: [image])
            if i < 3 { record.exemptions = [.init(rule: "registry-origin", reason: "ticket SEC-1")] }
            try add(record)
        }
        try writer.append(
            .policyReloaded(
                path: "policy.yaml", previousSHA256: String(repeating: "1", count: 64),
                sha256: String(repeating: "2", count: 64)))
        for _ in 0..<8 {
            try add(
                Fixtures.record(
                    index, decision: .denied, namespace: "team-a", user: "mallory",
                    rules: [.init(id: "registry-origin", message: "image from docker.io is not an allowed registry")]))
        }
        for _ in 0..<4 {
            try add(
                Fixtures.record(
                    index, decision: .denied, namespace: "team-b", dataClass: "public", user: "bob",
                    rules: [.init(id: "require-digest", message: "image must be pinned by digest")]))
        }
        for _ in 0..<5 {
            var record = Fixtures.record(
                index, decision: .warned,
                rules: [.init(id: "registry-origin", message: "image from docker.io is not an allowed registry")])
            record.mode = "warn"
            try add(record)
        }
        for _ in 0..<2 { try add(Fixtures.record(index, decision: .error)) }
        try writer.append(.serverStopped(reason: "test"))
        writer.close()
    }

    func report(key: Ed25519PublicKey?) throws -> AuditReport {
        try AuditReportBuilder(key: key).build(paths: [directory.path])
    }
}

@Suite("Audit evidence report")
struct AuditReportTests {
    @Test("the aggregates match the known counts of a generated log")
    func aggregates() throws {
        let log = try KnownLog()
        let report = try log.report(key: log.key.publicKey)
        #expect(report.integrity.verdict == "intact")
        #expect(report.integrity.keyFingerprint == SHA256.hex(of: log.key.publicKey.raw))
        #expect(report.totals.decisions == 49 && report.totals.allowed == 30 && report.totals.denied == 12)
        #expect(report.totals.warned == 5 && report.totals.error == 2 && report.totals.control == 4)
        #expect(
            report.deniedByRule == [.init(name: "registry-origin", count: 8), .init(name: "require-digest", count: 4)])
        #expect(report.deniedByUser == [.init(name: "mallory", count: 8), .init(name: "bob", count: 4)])
        #expect(report.deniedByClass == [.init(name: "ephi", count: 8), .init(name: "public", count: 4)])
        #expect(report.wouldHaveDenied == [.init(name: "registry-origin", count: 5)])
        #expect(report.exemptions == [.init(name: "registry-origin: ticket SEC-1", count: 3)])
        #expect(report.imagesAdmitted.count == 1 && report.imagesAdmitted[0].count == 30)
        #expect(
            report.imagesAdmitted[0].authority == "corp-signer" && report.imagesAdmitted[0].digest == KnownLog.digest)
        let events = report.controlEvents.map(\.event.event)
        #expect(events == [.policyLoaded, .trustMaterialLoaded, .policyReloaded, .serverStopped])
        // 49 decisions one minute apart: every one lands in exactly one bucket.
        let buckets = report.timeline.buckets
        #expect(buckets.reduce(0) { $0 + $1.allowed + $1.denied + $1.warned + $1.error } == 49)
        #expect(buckets.count <= TimeBuckets.maximumBuckets)
    }

    @Test("--since/--until narrow the decisions but the integrity verdict covers the whole log")
    func window() throws {
        let log = try KnownLog()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let report = try AuditReportBuilder(
            key: log.key.publicKey, since: start.addingTimeInterval(30 * 60), until: start.addingTimeInterval(38 * 60)
        ).build(paths: [log.directory.path])
        #expect(report.totals.denied == 8 && report.totals.allowed == 0)
        #expect(report.integrity.logs[0].firstSeq == 1 && report.integrity.verdict == "intact")
    }

    @Test("bounded counters keep at most their capacity and count the rest as (other)")
    func boundedCounter() {
        var counter = BoundedCounter(capacity: 3)
        for name in ["a", "b", "c", "d", "e", "a"] { counter.add(name) }
        #expect(counter.counts.count == 3)
        #expect(
            counter.top(2) == [
                .init(name: "a", count: 2), .init(name: "b", count: 1), .init(name: "(other)", count: 3),
            ])
    }

    @Test("timeline buckets widen to stay within the maximum however long the period")
    func bucketsWiden() {
        var buckets = TimeBuckets()
        for day in 0..<30 { buckets.add(epochSeconds: Int64(1_800_000_000 + day * 86400), decision: .allowed) }
        let timeline = buckets.timeline()
        #expect(timeline.buckets.count <= TimeBuckets.maximumBuckets)
        #expect(timeline.buckets.reduce(0) { $0 + $1.allowed } == 30)
        #expect(RFC3339.epochSeconds("2027-01-15T08:00:05.000001Z") == 1_800_000_005)
        #expect(RFC3339.epochSeconds("1969-12-31T00:00:01Z") == -86399)
        #expect(RFC3339.epochSeconds("2027-13-15T08:00:05Z") == nil && RFC3339.epochSeconds("yesterday") == nil)
    }

    @Test(
        "in a real headless browser, the rendered page shows the known counts",
        .enabled(if: Browser.path != nil, "needs Debian's chromium"))
    func renderedCounts() throws {
        let log = try KnownLog()
        let dom = try Browser.dom(of: AuditReportHTML.render(try log.report(key: log.key.publicKey)))
        #expect(Browser.attribute("data-verdict", ofID: "integrity", in: dom) == "intact")
        for (id, count) in [
            ("total", 49), ("allowed", 30), ("denied", 12), ("warned", 5), ("error", 2), ("control", 4),
        ] {
            #expect(Browser.attribute("data-count", ofID: "count-\(id)", in: dom) == String(count), "count-\(id)")
            #expect(Browser.text(ofID: "count-\(id)", in: dom) == String(count))
        }
        #expect(Browser.rows(ofID: "denied-by-rule", in: dom) == ["registry-origin": "8", "require-digest": "4"])
        #expect(Browser.rows(ofID: "denied-by-namespace", in: dom) == ["team-a": "8", "team-b": "4"])
        #expect(Browser.rows(ofID: "would-have-denied", in: dom) == ["registry-origin": "5"])
        #expect(Browser.text(ofID: "key-fingerprint", in: dom) == SHA256.hex(of: log.key.publicKey.raw))
        #expect(dom.components(separatedBy: "data-event=\"policyReloaded\"").count == 2)
        #expect(!dom.contains("<script src") && !dom.contains("<link") && !dom.contains("<img"))
    }

    @Test(
        "a tampered log makes the rendered report lead with the integrity failure",
        .enabled(if: Browser.path != nil, "needs Debian's chromium"))
    func tamperedLeads() throws {
        let log = try KnownLog()
        let path = try Fixtures.segmentPaths(log.directory.path)[0]
        var lines = try Fixtures.lines(of: path)
        let index = lines.firstIndex { $0.contains("\"user\":\"bob\"") }!
        lines[index] = lines[index].replacingOccurrences(of: "\"user\":\"bob\"", with: "\"user\":\"eve\"")
        try Fixtures.write(lines: lines, to: path)

        let report = try log.report(key: log.key.publicKey)
        #expect(report.integrity.verdict == "tampered")
        let dom = try Browser.dom(of: AuditReportHTML.render(report))
        #expect(Browser.attribute("data-verdict", ofID: "integrity", in: dom) == "tampered")
        #expect(Browser.text(ofID: "verdict", in: dom)?.hasPrefix("INTEGRITY FAILURE") == true)
        // The verdict is the first section of the page, before any count.
        let firstSection = dom.range(of: "<section")!
        #expect(dom[firstSection.lowerBound...].hasPrefix("<section id=\"integrity\""))
        #expect(dom.contains("data-cause=\"edited\""))
    }
}

/// Debian's `chromium`, run headless to print the DOM after the page has loaded.
enum Browser {
    static let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static func dom(of html: String) throws -> String {
        let directory = TemporaryDirectory()
        let file = directory.file("report.html")
        try html.write(toFile: file, atomically: true, encoding: .utf8)
        let (status, output) = try Fixtures.run(
            path!,
            [
                "--headless", "--disable-gpu", "--no-sandbox", "--user-data-dir=\(directory.file("profile"))",
                "--dump-dom", "file://\(file)",
            ])
        guard status == 0, output.contains("</html>") else {
            throw AuditError("chromium failed (\(status)): \(output.suffix(2000))")
        }
        return output
    }

    /// The opening tag of the element with `id`.
    private static func tag(ofID id: String, in dom: String) -> Substring? {
        guard let start = dom.range(of: "id=\"\(id)\"") else { return nil }
        let open = dom[..<start.lowerBound].lastIndex(of: "<")!
        let close = dom[start.upperBound...].firstIndex(of: ">")!
        return dom[open...close]
    }

    static func attribute(_ name: String, ofID id: String, in dom: String) -> String? {
        guard let tag = tag(ofID: id, in: dom), let range = tag.range(of: "\(name)=\"") else { return nil }
        return String(tag[range.upperBound...].prefix { $0 != "\"" })
    }

    static func text(ofID id: String, in dom: String) -> String? {
        guard let tag = tag(ofID: id, in: dom) else { return nil }
        return String(dom[tag.endIndex...].prefix { $0 != "<" })
    }

    /// `data-name` → `data-count` of the rows of the table with `id`.
    static func rows(ofID id: String, in dom: String) -> [String: String] {
        guard let tag = tag(ofID: id, in: dom), let end = dom[tag.endIndex...].range(of: "</table>") else { return [:] }
        var rows: [String: String] = [:]
        for row in dom[tag.endIndex..<end.lowerBound].components(separatedBy: "<tr ").dropFirst() {
            func value(_ name: String) -> String? {
                row.range(of: "\(name)=\"").map { String(row[$0.upperBound...].prefix { $0 != "\"" }) }
            }
            if let name = value("data-name"), let count = value("data-count") { rows[name] = count }
        }
        return rows
    }
}

@Suite("Decision facts read from line bytes")
struct DecisionFactsTests {
    private func parse(_ text: String) -> DecisionFacts? {
        Array(text.utf8).withUnsafeBytes { DecisionFacts.parse($0) }
    }

    @Test("a line the writer produced reads back with the same members, escapes included")
    func writerLine() throws {
        var record = Fixtures.record(
            1, decision: .denied, namespace: "ns-\u{e9}", user: "a\"b\\c\nd \u{1F600}",
            rules: [.init(id: "r1", message: "tab\there")],
            images: [.init(reference: "reg/x:1", digest: "sha256:ab", authority: "corp")])
        record.exemptions = [.init(rule: nil, reason: "why")]
        var json = AuditLineFormat.begin(
            seq: 1, prev: AuditLineFormat.genesis, type: .decision, time: "2027-01-15T08:00:00.000000Z", chain: "c")
        json.append(members: record.encodedMembers())
        let line = AuditLineFormat.end(json)
        let facts = try #require(line.withUnsafeBytes { DecisionFacts.parse($0) })
        #expect(facts.time == "2027-01-15T08:00:00.000000Z" && facts.decision == .denied)
        #expect(facts.namespace == record.namespace && facts.user == record.user && facts.dataClass == "ephi")
        #expect(facts.rules == record.rules && facts.images == record.images && facts.exemptions == record.exemptions)
    }

    @Test("members in any order and \\u escapes (surrogate pairs too) are read; malformed lines are nil")
    func anyValidJSON() {
        let facts = parse(
            #"{ "user" : "\u00e9\ud83d\ude00", "extra": {"a": [1, true, null]}, "decision": "allowed", "time": "t" }"#)
        #expect(facts?.user == "\u{e9}\u{1F600}" && facts?.decision == .allowed)
        #expect(parse(#"{"decision":"maybe","time":"t"}"#) == nil)
        #expect(parse(#"{"decision":"allowed","time":"t""#) == nil)
        #expect(parse(#"{"decision":"allowed"}"#) == nil)
        #expect(parse("not json") == nil)
    }
}
