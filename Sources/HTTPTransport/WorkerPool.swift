#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The threads handlers run on, so a handler that blocks (a durable audit write waiting for its group commit, a
/// registry round trip) never holds up the I/O threads that serve every other connection.
///
/// Threads start when a job finds none idle, up to `maxThreads`, and end after `idleNanos` without work, down to
/// `minThreads`: a burst of blocking handlers gets as many threads as it needs (a group commit batches more lines
/// the more writers wait on it), an idle server keeps a few. Past `maxThreads`, jobs queue in arrival order.
///
/// `@unchecked Sendable`: every field after init is read and written under `mutex`.
final class WorkerPool: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let workAvailable = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let minThreads: Int
    private let maxThreads: Int
    private let idleNanos: UInt64
    private let stackBytes: Int
    /// Queued jobs from `head` on; a taken job's slot is cleared at once, so what it captured (a request and its
    /// body) is freed when it ends even if the queue never empties under sustained load.
    private var jobs: [Job?] = []
    private var head = 0
    private var threads = 0
    private var idle = 0
    private var stopped = false

    init(minThreads: Int, maxThreads: Int, idleNanos: UInt64 = 2_000_000_000, stackBytes: Int) {
        self.minThreads = minThreads
        self.maxThreads = max(1, maxThreads)
        self.idleNanos = idleNanos
        self.stackBytes = stackBytes
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Idle timeouts must not jump with the wall clock.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(workAvailable, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(workAvailable)
        pthread_mutex_destroy(mutex)
        workAvailable.deallocate()
        mutex.deallocate()
    }

    /// Threads running now (for tests and the thread-count figures in docs/PERFORMANCE.md).
    var threadCount: Int { locked { threads } }

    /// Runs `job` on a pool thread; starts one when none is idle and the pool is below its bound.
    func submit(_ job: @escaping Job) {
        let start = locked { () -> Bool in
            jobs.append(job)
            if idle > jobs.count - head - 1 {
                pthread_cond_signal(workAvailable)
                return false
            }
            guard threads < maxThreads else { return false }
            threads += 1
            return true
        }
        guard start else { return }
        do {
            try spawnThread(stackBytes: stackBytes) { [self] in work() }
        } catch {
            // The queued job runs on a thread that exists; with none at all it waits for the next start.
            locked { threads -= 1 }
        }
    }

    /// Lets every thread finish its current job and end; queued jobs are dropped (the server has stopped).
    func stop() {
        locked {
            stopped = true
            jobs.removeAll()
            head = 0
            pthread_cond_broadcast(workAvailable)
        }
    }

    private func work() {
        pthread_mutex_lock(mutex)
        while true {
            if stopped { break }
            if head < jobs.count {
                let job = jobs[head]
                jobs[head] = nil
                head += 1
                if head == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    head = 0
                } else if head >= 1024 && head * 2 >= jobs.count {
                    jobs.removeFirst(head)
                    head = 0
                }
                pthread_mutex_unlock(mutex)
                job?()
                pthread_mutex_lock(mutex)
                continue
            }
            idle += 1
            var until = timespec()
            clock_gettime(CLOCK_MONOTONIC, &until)
            let nanos = UInt64(until.tv_nsec) + idleNanos
            until.tv_sec += Int(nanos / 1_000_000_000)
            until.tv_nsec = Int(nanos % 1_000_000_000)
            let rc = pthread_cond_timedwait(workAvailable, mutex, &until)
            idle -= 1
            if rc == ETIMEDOUT && head == jobs.count && threads > minThreads { break }
        }
        threads -= 1
        pthread_mutex_unlock(mutex)
    }

    private func locked<Result>(_ body: () -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
