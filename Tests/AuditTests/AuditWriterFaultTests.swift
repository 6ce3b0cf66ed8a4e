import Dispatch
import Foundation
import PortcullisCrypto
import Synchronization
import Testing

@testable import Audit

/// A segment whose `fdatasync` fails (EIO, as a dying disk reports it) while `failing` is set, or blocks while
/// `hung` is set; writes go through to the real file.
final class FailingSyncSegmentFile: ForwardingSegmentFile {
    private let failing: ConcurrentBox<Bool>
    private let hung: ConcurrentBox<Bool>
    /// How many syncs this descriptor was asked for after one of its syncs had failed.
    let syncsAfterFailure: ConcurrentBox<Int>
    private var failedOnce = false

    init(path: String, failing: ConcurrentBox<Bool>, hung: ConcurrentBox<Bool>, syncsAfterFailure: ConcurrentBox<Int>)
        throws(AuditError)
    {
        self.failing = failing
        self.hung = hung
        self.syncsAfterFailure = syncsAfterFailure
        try super.init(path: path)
    }

    override func sync() throws(AuditError) {
        while hung.value { Thread.sleep(forTimeInterval: 0.005) }
        if failedOnce { syncsAfterFailure.mutate { $0 += 1 } }
        if failing.value {
            failedOnce = true
            throw AuditError("syncing audit segment: Input/output error", errno: EIO)
        }
        try real.sync()
    }
}

@Suite("AuditWriter under disk faults", .serialized)
struct AuditWriterFaultTests {
    /// A writer whose segments are `FailingSyncSegmentFile`s driven by `failing` and `hung`, with `configure`
    /// applied first; its first decision already written, so the faults hit a log that exists.
    private func faultyWriter(
        _ directory: TemporaryDirectory, key: Ed25519PrivateKey, failing: ConcurrentBox<Bool> = ConcurrentBox(false),
        hung: ConcurrentBox<Bool>, syncsAfterFailure: ConcurrentBox<Int> = ConcurrentBox(0),
        configure: (inout AuditConfiguration) -> Void = { _ in }
    ) throws -> AuditWriter {
        let writer = try Fixtures.writer(directory.path, key: key, configure: configure) { path throws(AuditError) in
            try FailingSyncSegmentFile(path: path, failing: failing, hung: hung, syncsAfterFailure: syncsAfterFailure)
        }
        _ = try writer.append(Fixtures.record(0))
        return writer
    }

    @Test("auditUnavailable counts the decisions refused, not the write attempts retried meanwhile")
    func failedWritesCountsRefusedDecisions() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let full = ConcurrentBox(false)
        let writer = try Fixtures.writer(directory.path, key: key) { path throws(AuditError) in
            try FullDiskSegmentFile(path: path, full: full)
        }
        _ = try writer.append(Fixtures.record(0))
        full.mutate { $0 = true }
        for index in 1...5 { #expect(throws: AuditError.self) { try writer.append(Fixtures.record(index)) } }
        // The writer retries every 20 ms on its own: many attempts, still five refused decisions.
        Thread.sleep(forTimeInterval: 0.3)
        full.mutate { $0 = false }
        #expect(Fixtures.waitUntil { writer.isHealthy })
        writer.close()
        let lines = try Fixtures.lines(of: try Fixtures.segmentPaths(directory.path)[0])
        let unavailable = try #require(lines.first { $0.contains("\"event\":\"auditUnavailable\"") })
        #expect(unavailable.contains("\"failedWrites\":5"), "\(unavailable)")
    }

    @Test("after fdatasync fails, the writer never syncs that descriptor again: it opens a new segment")
    func syncFailureAbandonsTheSegment() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let failing = ConcurrentBox(false)
        let syncsAfterFailure = ConcurrentBox(0)
        let writer = try faultyWriter(
            directory, key: key, failing: failing, hung: ConcurrentBox(false), syncsAfterFailure: syncsAfterFailure)
        failing.mutate { $0 = true }
        let error = #expect(throws: AuditError.self) { try writer.append(Fixtures.record(1)) }
        #expect(error?.message.contains("Input/output error") == true)
        failing.mutate { $0 = false }
        #expect(Fixtures.waitUntil { writer.isHealthy }, "the writer should recover on a new segment")
        _ = try writer.append(Fixtures.record(2))
        writer.close()
        // fsyncgate: a retried fdatasync on the failed descriptor may report success for data that was lost.
        #expect(syncsAfterFailure.value == 0, "the failed descriptor was synced again")
        let segments = try Fixtures.segmentPaths(directory.path)
        #expect(segments.count == 2, "\(segments)")
        let second = try Fixtures.lines(of: segments[1])
        #expect(second.contains { $0.contains("\"event\":\"auditSegmentLost\"") && $0.contains("Input/output") })
        #expect(try Fixtures.verify([directory.path], key: key.publicKey, sealed: true).isIntact)
    }

    @Test("a directory that cannot be synced fails the batch that depends on it")
    func directorySyncFailureFailsTheBatch() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let broken = ConcurrentBox(false)
        var configuration = Fixtures.configuration(directory.path, rotateBytes: 1)
        configuration.syncDirectory = { path throws(AuditError) in
            if broken.value { throw AuditError("syncing directory \(path): Input/output error", errno: EIO) }
            try FileSystem.syncDirectory(path)
        }
        let writer = try AuditWriter(
            configuration: configuration, signingKey: key, clock: { Date() }, logger: Fixtures.logger)
        _ = try writer.append(Fixtures.record(0))
        broken.mutate { $0 = true }
        // rotateBytes 1: this append opens a new segment, whose directory entry cannot be made durable.
        let error = #expect(throws: AuditError.self) { try writer.append(Fixtures.record(1)) }
        #expect(error?.message.contains("syncing directory") == true)
        #expect(!writer.isHealthy)
        broken.mutate { $0 = false }
        #expect(Fixtures.waitUntil { writer.isHealthy })
        writer.close()
        #expect(try Fixtures.verify([directory.path], key: key.publicKey, sealed: true).isIntact)
    }

    @Test("a hung disk: append gives up at the caller's deadline, the late line is recorded as such, close is bounded")
    func hungDiskHonoursTheDeadline() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let hung = ConcurrentBox(false)
        let writer = try faultyWriter(directory, key: key, hung: hung)
        hung.mutate { $0 = true }
        let error = #expect(throws: AuditError.self) {
            try writer.append(Fixtures.record(1), deadline: .now() + .milliseconds(200))
        }
        #expect(error?.message.contains("deadline") == true, "\(error?.message ?? "")")
        #expect(!writer.isHealthy, "a writer that cannot answer in time is not fit to serve")
        hung.mutate { $0 = false }
        #expect(Fixtures.waitUntil { writer.isHealthy })
        _ = try writer.append(Fixtures.record(2))
        writer.close()
        let lines = try Fixtures.lines(of: try Fixtures.segmentPaths(directory.path)[0])
        // The line that became durable after its caller was answered AuditUnavailable says so, by seq.
        let late = try #require(lines.first { $0.contains("\"event\":\"auditLateLines\"") }, "\(lines)")
        #expect(late.contains("\"seqs\":[3]"), "\(late)")
    }

    @Test("close gives up after its bound when the disk hangs, instead of hanging shutdown")
    func closeIsBounded() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let hung = ConcurrentBox(false)
        let writer = try faultyWriter(directory, key: key, hung: hung) { $0.closeTimeout = 0.3 }
        hung.mutate { $0 = true }
        let appender = Thread { _ = try? writer.append(Fixtures.record(1), deadline: .now() + .seconds(30)) }
        appender.start()
        Thread.sleep(forTimeInterval: 0.1)
        #expect(!writer.close(), "close reported a clean stop although the writer thread is stuck")
        hung.mutate { $0 = false }
    }
}
