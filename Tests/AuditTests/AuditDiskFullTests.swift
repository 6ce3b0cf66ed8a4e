import Foundation
import PortcullisCrypto
import Synchronization
import Testing

@testable import Audit

/// A real segment file whose calls a fault-injecting subclass may intercept; the rest go straight through.
class ForwardingSegmentFile: SegmentFile {
    let real: PosixSegmentFile

    init(path: String) throws(AuditError) { real = try PosixSegmentFile(path: path) }

    var size: Int64 { real.size }
    func append(_ bytes: [UInt8]) throws(AuditError) { try real.append(bytes) }
    func sync() throws(AuditError) { try real.sync() }
    func truncate(to size: Int64) throws(AuditError) { try real.truncate(to: size) }
    func checkInPlace() throws(AuditError) { try real.checkInPlace() }
    func close() { real.close() }
}

/// A segment file that fails like a full disk while `full` is set: the write lands partly, then ENOSPC.
final class FullDiskSegmentFile: ForwardingSegmentFile {
    private let full: ConcurrentBox<Bool>

    init(path: String, full: ConcurrentBox<Bool>) throws(AuditError) {
        self.full = full
        try super.init(path: path)
    }

    override func append(_ bytes: [UInt8]) throws(AuditError) {
        guard !full.value else {
            try real.append(Array(bytes.prefix(bytes.count / 2)))
            throw AuditError("writing audit segment: No space left on device")
        }
        try real.append(bytes)
    }
}

@Suite("AuditWriter when the disk fails", .serialized)
struct AuditDiskFullTests {
    @Test("a failed write throws, turns the writer unhealthy, leaves no partial line, and it recovers by itself")
    func injectedENOSPC() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let full = ConcurrentBox(false)
        let writer = try Fixtures.writer(directory.path, key: key) { path throws(AuditError) in
            try FullDiskSegmentFile(path: path, full: full)
        }
        #expect(try writer.append(Fixtures.record(1)) == 1)
        #expect(writer.isHealthy)

        full.mutate { $0 = true }
        let error = #expect(throws: AuditError.self) { try writer.append(Fixtures.record(2)) }
        #expect(error?.message.contains("No space left") == true)
        #expect(!writer.isHealthy)
        #expect(throws: AuditError.self) { try writer.append(Fixtures.record(3)) }
        // What is on disk is still a whole, verifying log: the half-written batch was cut back off.
        #expect(try Fixtures.verify([directory.path], key: key.publicKey).isIntact)

        full.mutate { $0 = false }
        #expect(Fixtures.waitUntil { writer.isHealthy }, "the writer should retry on its own and become healthy")
        // seq 1 and its checkpoint; the retry's two control lines and their checkpoint (3…5); then this one.
        #expect(try writer.append(Fixtures.record(4)) == 6)
        writer.close()
        let lines = try Fixtures.lines(of: try Fixtures.segmentPaths(directory.path)[0])
        #expect(lines[1].contains("\"type\":\"checkpoint\""))
        #expect(lines[2].contains("\"type\":\"control\"") && lines[2].contains("\"event\":\"auditUnavailable\""))
        #expect(lines[2].contains("No space left") && lines[2].contains("\"failedWrites\":"))
        #expect(lines[3].contains("\"event\":\"auditRecovered\""))
        let report = try Fixtures.verify([directory.path], key: key.publicKey, sealed: true)
        #expect(report.isIntact && report.treeSize == 4)
    }

    @Test(
        "on a real full tmpfs: appends fail and the writer is unhealthy, then recovers when space is freed",
        .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func realTmpfs() throws {
        let directory = TemporaryDirectory()
        guard Fixtures.mount(tmpfsOf: 256 * 1024, at: directory.path) else {
            Issue.record("could not mount a tmpfs at \(directory.path) although running as root")
            return
        }
        defer { _ = Fixtures.unmount(directory.path) }
        let key = try Ed25519PrivateKey.generate()
        let logDirectory = directory.file("log")
        let writer = try AuditWriter(
            configuration: Fixtures.configuration(logDirectory), signingKey: key,
            clock: { Date() }, logger: Fixtures.logger)
        _ = try writer.append(Fixtures.record(0))
        // Fill the rest of the file system with a ballast file.
        let ballast = directory.file("ballast")
        _ = FileManager.default.createFile(atPath: ballast, contents: nil)
        let handle = FileHandle(forWritingAtPath: ballast)!
        let chunk = Data(repeating: 0x20, count: 4096)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        try? handle.close()

        var failed = false
        for index in 1...200 where !failed {
            do { _ = try writer.append(Fixtures.record(index)) } catch { failed = true }
        }
        #expect(failed, "appends on a full file system must fail")
        #expect(!writer.isHealthy)
        try FileManager.default.removeItem(atPath: ballast)
        #expect(Fixtures.waitUntil { writer.isHealthy })
        _ = try writer.append(Fixtures.record(999))
        writer.close()
        let report = try Fixtures.verify([logDirectory], key: key.publicKey, sealed: true)
        #expect(report.isIntact, "\(report.finding.map(String.init(describing:)) ?? "")")
    }
}

extension Fixtures {
    static func mount(tmpfsOf bytes: Int, at path: String) -> Bool {
        (try? run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path]).0) == 0
    }

    static func unmount(_ path: String) -> Bool {
        (try? run("/bin/umount", [path]).0) == 0
    }
}
