import Foundation
import PortcullisCrypto
import Testing

@testable import Audit
@testable import AuditReading

@Suite("AuditQuery and AuditSummary against known decisions")
struct AuditQueryTests {
    /// Six known decisions, one second apart from 1_800_000_000, spread over two rotated (gzip) segments.
    static func knownLog(_ directory: String) throws {
        let key = try Ed25519PrivateKey.generate()
        let clock = TestClock()
        let writer = try AuditWriter(
            configuration: Fixtures.configuration(directory, rotateBytes: 1500), signingKey: key,
            clock: { clock() }, logger: Fixtures.logger)
        let registry = AuditRecord.Rule(id: "registry-origin", message: "image is from docker.io")
        let root = AuditRecord.Rule(id: "run-as-non-root", message: "runs as root")
        let records = [
            Fixtures.record(
                0, decision: .allowed, namespace: "a", dataClass: "ephi", user: "alice",
                images: [.init(reference: "registry.internal/m:1", digest: "sha256:aaa")]),
            Fixtures.record(
                1, decision: .denied, namespace: "a", dataClass: "ephi", user: "bob", rules: [registry, root]),
            Fixtures.record(2, decision: .denied, namespace: "b", dataClass: "pci", user: "bob", rules: [root]),
            Fixtures.record(3, decision: .warned, namespace: "b", dataClass: "pci", user: "carol", rules: [registry]),
            Fixtures.record(4, decision: .denied, namespace: "b", dataClass: nil, user: "carol", rules: [registry]),
            Fixtures.record(
                5, decision: .error, namespace: "c", dataClass: "ephi", user: "alice",
                images: [.init(reference: "docker.io/x:2", digest: "sha256:bbb")]),
        ]
        for record in records {
            _ = try writer.append(record)
            clock.advance(by: 1)
        }
        writer.close()
    }

    private func uids(_ query: AuditQuery, _ directory: String) throws -> [String] {
        var found: [String] = []
        try query.run(paths: [directory]) { entry in
            found.append(entry.record.uid)
            return true
        }
        return found
    }

    @Test("each filter selects exactly the matching decisions, across gzip segments, oldest first")
    func filters() throws {
        let directory = TemporaryDirectory()
        try Self.knownLog(directory.path)
        #expect(try Fixtures.segmentPaths(directory.path).contains { $0.hasSuffix(".gz") })
        let all = (0..<6).map { "uid-\($0)" }
        #expect(try uids(AuditQuery(), directory.path) == all)
        var query = AuditQuery()
        query.decisions = [.denied]
        #expect(try uids(query, directory.path) == ["uid-1", "uid-2", "uid-4"])
        query.namespace = "b"
        #expect(try uids(query, directory.path) == ["uid-2", "uid-4"])
        query = AuditQuery()
        query.dataClass = "pci"
        #expect(try uids(query, directory.path) == ["uid-2", "uid-3"])
        query = AuditQuery()
        query.rule = "registry-origin"
        #expect(try uids(query, directory.path) == ["uid-1", "uid-3", "uid-4"])
        query = AuditQuery()
        query.user = "carol"
        #expect(try uids(query, directory.path) == ["uid-3", "uid-4"])
        query = AuditQuery()
        query.image = "sha256:bbb"
        #expect(try uids(query, directory.path) == ["uid-5"])
        query.image = "registry.internal"
        #expect(try uids(query, directory.path) == ["uid-0"])
        query = AuditQuery()
        query.since = Date(timeIntervalSince1970: 1_800_000_002)
        query.until = Date(timeIntervalSince1970: 1_800_000_004)
        #expect(try uids(query, directory.path) == ["uid-2", "uid-3"])
    }

    @Test("the summary counts denials by class, rule, namespace and user")
    func summary() throws {
        let directory = TemporaryDirectory()
        try Self.knownLog(directory.path)
        var summary = AuditSummary()
        try AuditQuery().run(paths: [directory.path]) { entry in
            summary.add(entry)
            return true
        }
        #expect(summary.decisions == [.allowed: 1, .denied: 3, .warned: 1, .error: 1])
        #expect(summary.deniedByClass == ["ephi": 1, "pci": 1, "(none)": 1])
        #expect(summary.deniedByRule == ["registry-origin": 2, "run-as-non-root": 2])
        #expect(summary.deniedByNamespace == ["a": 1, "b": 2])
        #expect(summary.deniedByUser == ["bob": 2, "carol": 1])
    }

    @Test("follow mode delivers lines appended after it started, across a rotation")
    func follow() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let writer = try AuditWriter(
            configuration: Fixtures.configuration(directory.path, rotateBytes: 1500),
            signingKey: key, clock: { Date() }, logger: Fixtures.logger)
        _ = try writer.append(Fixtures.record(0))
        let seen = ConcurrentBox<[String]>([])
        let failure = ConcurrentBox<String?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let path = directory.path
        Thread {
            do {
                try AuditQuery().run(paths: [path], follow: true, pollInterval: 0.01) { entry in
                    seen.mutate { $0.append(entry.record.uid) }
                    return seen.value.count < 8
                }
            } catch {
                failure.mutate { $0 = "\(error)" }
            }
            finished.signal()
        }.start()
        for index in 1..<8 { _ = try writer.append(Fixtures.record(index)) }
        #expect(finished.wait(timeout: .now() + 20) == .success)
        writer.close()
        #expect(failure.value == nil)
        #expect(seen.value == (0..<8).map { "uid-\($0)" })
    }
}
