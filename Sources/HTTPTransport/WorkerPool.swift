import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The threads handlers run on, so a handler that blocks (a durable audit write waiting for its group commit, a
/// registry round trip) never holds up the I/O threads that serve every other connection.
///
/// A job that finds no idle thread starts one while there are fewer than `eagerThreads` (one per core keeps the
/// cores busy with handlers that compute); beyond that only when the pool has stalled, no thread having taken a
/// job for `stallNanos`, up to `maxThreads`. So handlers that compute run on about as many threads as cores (more
/// would only add stacks, malloc arenas and switches), while handlers that block get as many threads as they need
/// (a group commit batches more lines the more writers wait on it). Threads end after `idleNanos` without work,
/// down to `minThreads`. Jobs wait in arrival order. A stall with no new job to notice it is caught by the event
/// loops, which call `startIfStalled` after every wake-up and wake at least every `stallNanos` while jobs wait.
///
/// `@unchecked Sendable`: every field after init is read and written under `mutex`, except the `waiting` atomic.
final class WorkerPool: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let workAvailable = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let minThreads: Int
    private let eagerThreads: Int
    private let maxThreads: Int
    private let idleNanos: UInt64
    let stallNanos: UInt64
    private let stackBytes: Int
    /// Jobs queued and not yet taken, readable without the lock (see `hasWaitingJobs`).
    private let waiting = Atomic<Int>(0)
    /// When a thread last took a job.
    private var lastTaken: UInt64 = 0
    private var jobs: [Job] = []
    private var head = 0
    private var threads = 0
    private var idle = 0
    private var stopped = false

    init(
        minThreads: Int, eagerThreads: Int, maxThreads: Int, idleNanos: UInt64 = 2_000_000_000,
        stallNanos: UInt64 = 1_000_000, stackBytes: Int
    ) {
        self.minThreads = minThreads
        self.maxThreads = max(1, maxThreads)
        self.eagerThreads = min(max(1, eagerThreads), self.maxThreads)
        self.idleNanos = idleNanos
        self.stallNanos = stallNanos
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

    /// Runs `job` on a pool thread, starting one if the pool needs it (see the type's comment).
    func submit(_ job: @escaping Job) {
        let start = locked { () -> Bool in
            jobs.append(job)
            waiting.add(1, ordering: .relaxed)
            if idle > jobs.count - head - 1 {
                pthread_cond_signal(workAvailable)
                return false
            }
            return claimThread(eager: true)
        }
        if start { startThread() }
    }

    /// True while jobs wait for a thread: the loops then wake at least every `stallNanos` to call `startIfStalled`.
    var hasWaitingJobs: Bool { waiting.load(ordering: .relaxed) > 0 }

    /// Starts a thread if jobs wait and no thread has taken one for `stallNanos` (every thread is blocked).
    func startIfStalled() {
        guard hasWaitingJobs else { return }
        if locked({ head < jobs.count && claimThread(eager: false) }) { startThread() }
    }

    /// Under the lock: whether a new thread is due, counting it if so.
    private func claimThread(eager: Bool) -> Bool {
        guard idle == 0, threads < maxThreads else { return false }
        guard (eager && threads < eagerThreads) || monotonicNanos() - lastTaken >= stallNanos else { return false }
        threads += 1
        return true
    }

    private func startThread() {
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
            waiting.subtract(jobs.count - head, ordering: .relaxed)
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
                head += 1
                waiting.subtract(1, ordering: .relaxed)
                lastTaken = monotonicNanos()
                if head == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    head = 0
                }
                pthread_mutex_unlock(mutex)
                job()
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
