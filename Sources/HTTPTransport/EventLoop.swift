import CShims
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One I/O thread: an epoll set of non-blocking connections, their deadlines, and an inbox other threads post to.
///
/// Every connection belongs to one loop for its whole life and only that loop's thread touches it, so a
/// connection needs no lock. Descriptors are registered one-shot: an event disarms its descriptor, and the
/// connection re-arms it for what it waits for next (readable or writable), or not at all while its request is
/// with a handler. Deadlines sit in a heap checked after every wake-up (see `DeadlineHeap`).
///
/// `@unchecked Sendable`: other threads only call `post`, which goes through the `inbox` mutex and the wake-up
/// pipe; everything else is the loop thread's.
final class EventLoop: @unchecked Sendable {
    enum Task: Sendable {
        /// A connection the accept thread handed over.
        case adopt(HTTPConnection)
        /// A handler answered from another thread; the loop writes the response.
        case respond(HTTPResponder, PendingResponse)
        /// The listener closed: idle connections close now, busy ones after their response.
        case drain
        /// Close everything and end the thread.
        case stop
    }

    let epollFD: Int32
    let server: HTTPServer
    let workers: WorkerPool
    private let wakeup: ShutdownSignal
    private let inbox = Mutex<[Task]>([])
    /// True while the loop is in (or about to enter) epoll_wait: only then does a post need to write the pipe.
    private let sleeping = Atomic<Bool>(false)
    /// The loop thread's `pthread_self()`, set when `run()` starts: lets a responder tell whether it is on it.
    private let thread = Atomic<UInt>(0)
    private var connections: [Int32: HTTPConnection] = [:]
    private var deadlines = DeadlineHeap()
    private var dateCache = HTTPDateCache()
    /// Set when handshakes finished or connections closed since the loop was last idle for a second: a burst of
    /// handshakes frees tens of kilobytes per connection (OpenSSL's handshake buffers and state) in the middle of
    /// the heap, which malloc keeps mapped until `malloc_trim` hands the free pages back.
    var trimPending = false
    /// One read buffer for all of the loop's connections: a TLS record's worth, so one read takes one record,
    /// and an idle connection holds no buffer of its own.
    var readBuffer = [UInt8](repeating: 0, count: 16 * 1024)

    init(server: HTTPServer, workers: WorkerPool) throws(SystemError) {
        self.server = server
        self.workers = workers
        epollFD = try syscall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        do { wakeup = try ShutdownSignal() } catch {
            close(epollFD)
            throw error
        }
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeup.readFD))
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeup.readFD, &event)
    }

    deinit { close(epollFD) }

    /// Hands `task` to the loop thread; safe from any thread.
    func post(_ task: sending Task) {
        inbox.withLock { $0.append(task) }
        if sleeping.exchange(false, ordering: .sequentiallyConsistent) { wakeup.trigger() }
    }

    /// The loop thread's body: returns after `.stop`.
    func run() {
        thread.store(UInt(pthread_self()), ordering: .releasing)
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        var tasks: [Task] = []
        while true {
            sleeping.store(true, ordering: .sequentiallyConsistent)
            let pending = inbox.withLock { !$0.isEmpty }
            let timeout: Int32
            if pending {
                timeout = 0
            } else if let earliest = deadlines.earliest {
                let now = monotonicNanos()
                timeout = earliest <= now ? 0 : Int32(min((earliest - now + 999_999) / 1_000_000, 60_000))
            } else {
                timeout = 60_000
            }
            let wait = trimPending ? min(timeout, 1000) : timeout
            let ready = epoll_wait(epollFD, &events, Int32(events.count), wait)
            sleeping.store(false, ordering: .sequentiallyConsistent)
            if ready == 0 && wait == 1000 {
                trimPending = false
                malloc_trim(0)
            }
            for index in 0..<max(0, Int(ready)) {
                let fd = events[index].data.fd
                if fd == wakeup.readFD {
                    wakeup.drain()
                } else if let connection = connections[fd] {
                    connection.ready(events: events[index].events)
                }
            }
            inbox.withLock { swap(&tasks, &$0) }
            for task in tasks {
                if !perform(task) { return stopAll() }
            }
            tasks.removeAll(keepingCapacity: true)
            expireDeadlines()
        }
    }

    /// False for `.stop`.
    private func perform(_ task: consuming Task) -> Bool {
        switch task {
        case .adopt(let connection):
            connections[connection.fd] = connection
            var event = epoll_event(events: 0, data: epoll_data_t(fd: connection.fd))
            epoll_ctl(epollFD, EPOLL_CTL_ADD, connection.fd, &event)
            connection.start()
        case .respond(let responder, let response):
            // A connection the loop already closed (at stop) has no one to answer.
            let connection = responder.connection
            guard connections[connection.fd] === connection else { return true }
            connection.respond(response.response, for: responder)
        case .drain:
            for connection in Array(connections.values) { connection.drain() }
        case .stop:
            return false
        }
        return true
    }

    /// True on this loop's own thread.
    var isCurrentThread: Bool { thread.load(ordering: .acquiring) == UInt(pthread_self()) }

    /// The `Date` header value, formatted at most once a second.
    var date: String { dateCache.value(at: time(nil)) }

    /// Waits for `events` on `connection`'s descriptor (one-shot), or for nothing (0) while its handler runs.
    func arm(_ connection: HTTPConnection, events: UInt32) {
        var event = epoll_event(events: events | EPOLLONESHOT.rawValue, data: epoll_data_t(fd: connection.fd))
        epoll_ctl(epollFD, EPOLL_CTL_MOD, connection.fd, &event)
    }

    /// Queues a wake-up for `connection` at `deadline` (see `DeadlineHeap`).
    func schedule(_ connection: HTTPConnection, at deadline: UInt64) {
        deadlines.push(DeadlineHeap.Entry(deadline: deadline, fd: connection.fd, id: connection.id))
    }

    /// Forgets `connection`, which is about to close its descriptor.
    func remove(_ connection: HTTPConnection) {
        epoll_ctl(epollFD, EPOLL_CTL_DEL, connection.fd, nil)
        connections[connection.fd] = nil
    }

    private func expireDeadlines() {
        let now = monotonicNanos()
        while let entry = deadlines.popDue(now: now) {
            guard let connection = connections[entry.fd], connection.id == entry.id else { continue }
            connection.deadlineEntryDue(entry.deadline, now: now)
        }
    }

    private func stopAll() {
        for connection in Array(connections.values) { connection.abandon() }
    }
}
