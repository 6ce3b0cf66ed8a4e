import Dispatch
import Foundation
import PortcullisCrypto
import Synchronization
import Testing

@testable import Audit

/// `appendAnchored(_:completion:)`: the webhook's way to wait for a group commit without a thread blocked on it.
@Suite("AuditWriter appends with a completion", .serialized)
struct AuditAsyncAppendTests {
    @Test("the completion is told the anchor once the line is durable, once per line, for lines of one batch")
    func completionGetsTheAnchor() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let writer = try Fixtures.writer(directory.path, key: key) { path throws(AuditError) in
            try ForwardingSegmentFile(path: path)
        }
        let outcomes = Mutex<[Int: [AuditAnchor]]>([:])
        let done = DispatchSemaphore(value: 0)
        for index in 0..<20 {
            writer.appendAnchored(Fixtures.record(index)) { outcome in
                if case .success(let anchor) = outcome { outcomes.withLock { $0[index, default: []].append(anchor) } }
                done.signal()
            }
        }
        for _ in 0..<20 { #expect(done.wait(timeout: .now() + 10) == .success) }
        writer.close()
        let anchors = outcomes.withLock { $0 }
        #expect(anchors.count == 20 && anchors.values.allSatisfy { $0.count == 1 })
        #expect(Set(anchors.values.map { $0[0].seq }).count == 20, "every line its own seq")
        #expect(try Fixtures.verify([directory.path], key: key.publicKey, sealed: true).isIntact)
    }

    @Test("giving up on a hung disk: unhealthy at once, the line recorded as late when it lands, the completion told")
    func giveUpOnAHungDisk() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let hung = ConcurrentBox(false)
        let writer = try Fixtures.writer(directory.path, key: key) { path throws(AuditError) in
            try FailingSyncSegmentFile(
                path: path, failing: ConcurrentBox(false), hung: hung, syncsAfterFailure: ConcurrentBox(0))
        }
        _ = try writer.append(Fixtures.record(0))
        hung.mutate { $0 = true }
        let told = DispatchSemaphore(value: 0)
        let pending = writer.appendAnchored(Fixtures.record(1)) { _ in told.signal() }
        let outcome = pending.giveUp()
        #expect(throws: AuditError.self) { try outcome.get() }
        #expect(!writer.isHealthy, "a writer that cannot answer in time is not fit to serve")
        hung.mutate { $0 = false }
        #expect(told.wait(timeout: .now() + 10) == .success, "the completion runs even after its caller gave up")
        #expect(Fixtures.waitUntil { writer.isHealthy })
        writer.close()
        let lines = try Fixtures.lines(of: try Fixtures.segmentPaths(directory.path)[0])
        let late = try #require(lines.first { $0.contains("\"event\":\"auditLateLines\"") }, "\(lines)")
        #expect(late.contains("\"seqs\":[3]"), "\(late)")
    }

    @Test("giving up after the line was durable returns its anchor and leaves the writer healthy")
    func giveUpAfterTheOutcome() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let writer = try Fixtures.writer(directory.path, key: key) { path throws(AuditError) in
            try ForwardingSegmentFile(path: path)
        }
        let told = DispatchSemaphore(value: 0)
        let pending = writer.appendAnchored(Fixtures.record(1)) { _ in told.signal() }
        #expect(told.wait(timeout: .now() + 10) == .success)
        let anchor = try pending.giveUp().get()
        #expect(writer.isHealthy)
        writer.close()
        #expect(try Fixtures.lines(of: try Fixtures.segmentPaths(directory.path)[0]).count > Int(anchor.seq))
    }

    @Test("a completion that refers back to its own pending line is let go once it has run")
    func completionIsReleased() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let writer = try Fixtures.writer(directory.path, key: key) { path throws(AuditError) in
            try ForwardingSegmentFile(path: path)
        }
        final class Caller: Sendable {
            let pending = Mutex<PendingAppend?>(nil)
        }
        weak var weakCaller: Caller?
        let told = DispatchSemaphore(value: 0)
        do {
            // As the webhook does: what the completion captures holds the pending line.
            let caller = Caller()
            weakCaller = caller
            let pending = writer.appendAnchored(Fixtures.record(1)) { [caller] _ in
                _ = caller.pending.withLock { $0 }
                told.signal()
            }
            caller.pending.withLock { $0 = pending }
        }
        #expect(told.wait(timeout: .now() + 10) == .success)
        #expect(Fixtures.waitUntil { weakCaller == nil }, "the line and its caller hold each other for ever")
        writer.close()
    }

    @Test("a closed writer tells the completion at once, on the caller's thread")
    func closedWriter() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let writer = try Fixtures.writer(directory.path, key: key) { path throws(AuditError) in
            try ForwardingSegmentFile(path: path)
        }
        writer.close()
        let outcome = Mutex<Result<AuditAnchor, AuditError>?>(nil)
        writer.appendAnchored(Fixtures.record(1)) { result in outcome.withLock { $0 = result } }
        let told = try #require(outcome.withLock { $0 })
        #expect(throws: AuditError.self) { try told.get() }
    }
}
