import Foundation
import Testing

@testable import HTTPTransport

/// Handlers that block hold their own pool thread: the next job still runs, up to the pool's bound.
@Suite struct WorkerPoolTests {
    @Test func aBlockedJobDoesNotHoldUpTheNext() {
        let pool = WorkerPool(minThreads: 1, maxThreads: 4, stackBytes: 512 * 1024)
        defer { pool.stop() }
        let release = DispatchSemaphore(value: 0)
        let second = DispatchSemaphore(value: 0)
        pool.submit { release.wait() }
        pool.submit { second.signal() }
        #expect(second.wait(timeout: .now() + 10) == .success, "the second job waited for the blocked one")
        release.signal()
    }

    @Test func jobsBeyondTheBoundWaitTheirTurnAndAllRun() {
        let pool = WorkerPool(minThreads: 1, maxThreads: 2, stackBytes: 512 * 1024)
        defer { pool.stop() }
        let done = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        pool.submit { release.wait() }
        pool.submit { release.wait() }
        for _ in 0..<10 { pool.submit { done.signal() } }
        #expect(pool.threadCount == 2)
        release.signal()
        release.signal()
        for _ in 0..<10 { #expect(done.wait(timeout: .now() + 10) == .success) }
    }
}
