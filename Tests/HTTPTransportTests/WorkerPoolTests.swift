import Foundation
import Testing

@testable import HTTPTransport

/// Handlers that block hold their own pool thread: the next job still runs, up to the pool's bound; and a job's
/// request is freed when it ends, even while the queue never empties.
@Suite struct WorkerPoolTests {
    @Test func aBlockedJobDoesNotHoldUpTheNext() {
        withBlockedJobs(maxThreads: 4, blocked: 1) { pool, _ in
            let second = DispatchSemaphore(value: 0)
            pool.submit { second.signal() }
            #expect(second.wait(timeout: .now() + 10) == .success, "the second job waited for the blocked one")
        }
    }

    @Test func jobsBeyondTheBoundWaitTheirTurnAndAllRun() {
        withBlockedJobs(maxThreads: 2, blocked: 2) { pool, release in
            let done = DispatchSemaphore(value: 0)
            for _ in 0..<10 { pool.submit { done.signal() } }
            #expect(pool.threadCount == 2)
            release()
            for _ in 0..<10 { #expect(done.wait(timeout: .now() + 10) == .success) }
        }
    }

    @Test func whatAFinishedJobCapturedIsFreedWhileOthersStillWait() {
        final class Request: Sendable {}
        withBlockedJobs(maxThreads: 1, blocked: 1) { pool, release in
            let ran = DispatchSemaphore(value: 0)
            let next = DispatchSemaphore(value: 0)
            weak var freed: Request?
            do {
                let request = Request()
                freed = request
                pool.submit { withExtendedLifetime(request) { _ = ran.signal() } }
            }
            pool.submit { next.wait() }
            pool.submit {}
            release()
            #expect(ran.wait(timeout: .now() + 10) == .success)
            for _ in 0..<1000 where freed != nil { usleep(1000) }
            #expect(freed == nil, "the queue kept a finished job's request")
            next.signal()
        }
    }

    /// Runs `body` with a pool of at most `maxThreads` whose first `blocked` jobs wait until `release` is called
    /// (at the latest when `body` returns).
    private func withBlockedJobs(maxThreads: Int, blocked: Int, _ body: (WorkerPool, () -> Void) -> Void) {
        let pool = WorkerPool(minThreads: 1, maxThreads: maxThreads, stackBytes: 512 * 1024)
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
