import Foundation
import Logging
import PortcullisCrypto
import Synchronization

@testable import Audit

/// A scratch directory removed when the test's scope ends.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "/audit-test-XXXXXX").utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))

    func callAsFunction() -> Date { now.withLock { $0 } }

    func advance(by seconds: TimeInterval) { now.withLock { $0 += seconds } }
}

enum Fixtures {
    static let logger = Logger(label: "audit-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A minimal allowed pod decision; tests tweak the fields they care about.
    static func record(
        _ index: Int = 0, decision: AuditRecord.Decision = .allowed, namespace: String = "team-a",
        dataClass: String? = "ephi", user: String = "alice", rules: [AuditRecord.Rule] = [],
        images: [AuditRecord.Image] = []
    ) -> AuditRecord {
        AuditRecord(
            uid: "uid-\(index)", operation: "CREATE", kind: .init(group: "", version: "v1", kind: "Pod"),
            resource: "pods",
            namespace: namespace, name: "pod-\(index)", user: user, groups: ["system:authenticated"],
            dataClass: dataClass,
            decision: decision, mode: "enforce", rules: rules, images: images,
            policySHA256: String(repeating: "ab", count: 32), latencyMicros: 120)
    }

    /// A writer on `directory` whose segments `openSegment` opens (a fault-injecting double), after `configure`.
    static func writer(
        _ directory: String, key: Ed25519PrivateKey, configure: (inout AuditConfiguration) -> Void = { _ in },
        openSegment: @escaping @Sendable (String) throws(AuditError) -> any SegmentFile
    ) throws -> AuditWriter {
        var configuration = configuration(directory)
        configure(&configuration)
        configuration.openSegment = openSegment
        return try AuditWriter(configuration: configuration, signingKey: key, clock: { Date() }, logger: logger)
    }

    /// Waits (bounded, 20 s) for the writer's own retry to change what `condition` reads; not a timing assertion.
    static func waitUntil(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while !condition() && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return condition()
    }

    /// A writer on `directory` whose lines are stamped by the test's `clock`.
    static func writer(_ directory: String, key: Ed25519PrivateKey, clock: TestClock) throws -> AuditWriter {
        try AuditWriter(
            configuration: configuration(directory), signingKey: key, clock: { clock() }, logger: logger)
    }

    static func configuration(
        _ directory: String, rotateBytes: Int64 = 64 << 20,
        retain: Int = 0
    ) -> AuditConfiguration {
        AuditConfiguration(
            directory: directory, chainID: "test-pod", origin: "portcullis.test/audit",
            rotateBytes: rotateBytes,
            retainSegments: retain, retryInterval: 0.02)
    }

    /// Writes `count` decisions and closes the writer (final checkpoint); returns the directory's segment paths.
    @discardableResult
    static func writeLog(
        in directory: String, count: Int, key: Ed25519PrivateKey, checkpointEvery: Int = 10,
        rotateBytes: Int64 = 64 << 20, retain: Int = 0, clock: TestClock = TestClock()
    ) throws -> [String] {
        let writer = try AuditWriter(
            configuration: configuration(
                directory, rotateBytes: rotateBytes, retain: retain),
            signingKey: key, clock: { clock() }, logger: logger)
        // Each group reaches the writer at once, as concurrent requests' lines do: one batch, one checkpoint.
        for group in stride(from: 0, to: count, by: checkpointEvery) {
            _ = try writer.append(
                batch: (group..<min(count, group + checkpointEvery)).map { index in
                    PendingLine(
                        type: .decision,
                        members: record(index, decision: index % 3 == 0 ? .denied : .allowed).encodedMembers())
                })
            clock.advance(by: 1)
        }
        writer.close()
        return try segmentPaths(directory)
    }

    static func segmentPaths(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".jsonl") }.sorted()
            .map { directory + "/" + $0 }
    }

    static func lines(of path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    static func write(lines: [String], to path: String) throws {
        try (lines.map { $0 + "\n" }.joined()).write(toFile: path, atomically: false, encoding: .utf8)
    }

    static func verify(
        _ paths: [String], key: Ed25519PublicKey? = nil, sealed: Bool = false,
        external: String? = nil
    ) throws -> AuditLogReport {
        let reports = try AuditVerifier(key: key, requireSealed: sealed, externalCheckpoint: external).verify(
            paths: paths)
        precondition(reports.count == 1, "expected one log, got \(reports.count)")
        return reports[0]
    }

    /// Runs a command, returning its exit status and combined output.
    static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// This test binary, set to run only the suite `suite` with `environment` added: a child process for
    /// tests that must kill a writer or capture its standard output.
    static func childRunning(suite: String, environment: [String: String]) throws -> Process {
        let child = Process()
        child.executableURL = URL(
            fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        child.arguments = ["--testing-library", "swift-testing", "--filter", suite]
        child.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        child.standardError = FileHandle.nullDevice
        return child
    }
}
