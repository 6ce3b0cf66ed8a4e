import Foundation
import Testing

@testable import HTTPTransport

/// Handlers that block hold their own pool thread: the next job still runs, up to the pool's bound.
@Suite struct WorkerPoolTests {
    @Test func aBlockedJobDoesNotHoldUpTheNext() {
        withBlockedJobs(eagerThreads: 1, maxThreads: 4, blocked: 1) { pool, _ in
            let second = DispatchSemaphore(value: 0)
            pool.submit { second.signal() }
            // What an event loop does after every wake-up while jobs wait.
            var ran = false
            for _ in 0..<10_000 where !ran {
                pool.startIfStalled()
                ran = second.wait(timeout: .now() + .milliseconds(1)) == .success
            }
            #expect(ran, "the second job waited for the blocked one")
        }
    }

    @Test func jobsBeyondTheBoundWaitTheirTurnAndAllRun() {
        withBlockedJobs(eagerThreads: 2, maxThreads: 2, blocked: 2) { pool, release in
            let done = DispatchSemaphore(value: 0)
            for _ in 0..<10 { pool.submit { done.signal() } }
            #expect(pool.threadCount == 2)
            release()
            for _ in 0..<10 { #expect(done.wait(timeout: .now() + 10) == .success) }
        }
    }

    /// Runs `body` with a pool of at most `maxThreads` (started at once up to `eagerThreads`) whose first `blocked` jobs wait until `release` is called
    /// (at the latest when `body` returns).
    private func withBlockedJobs(
        eagerThreads: Int, maxThreads: Int, blocked: Int, _ body: (WorkerPool, () -> Void) -> Void
    ) {
        let pool = WorkerPool(
            minThreads: 1, eagerThreads: eagerThreads, maxThreads: maxThreads, stackBytes: 512 * 1024)
        let gate = DispatchSemaphore(value: 0)
        for _ in 0..<blocked { pool.submit { gate.wait() } }
        var released = false
        let release = {
            guard !released else { return }
            released = true
            for _ in 0..<blocked { gate.signal() }
        }
        body(pool, release)
        release()
        pool.stop()
    }
}
