import Logging
import PortcullisCrypto
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The HTTPS server: the thread in `run()` accepts, a few I/O threads (`EventLoop`, ≈ one per core) serve every
/// connection with non-blocking sockets and non-blocking TLS, and handlers run on a bounded `WorkerPool`.
///
/// A connection costs a few kilobytes of state and a descriptor, not a thread, so idle keep-alive connections and
/// stalled clients are cheap; a handler that blocks holds a pool thread, never an I/O thread.
///
/// Life cycle: `bind()` opens the listening socket (so the caller can log the real port), `run()` accepts
/// and checks the certificate files until `stop()`, then drains: it closes the listener, closes idle
/// keep-alive connections, gives in-flight requests up to `drainTimeout`, and returns.
public final class HTTPServer: Sendable {
    let configuration: HTTPServerConfiguration
    let tls: TLSContextReloader
    let handler: any HTTPHandler
    /// `handler`, when it can answer on the I/O threads (see `InlineHTTPHandler`).
    let inlineHandler: (any InlineHTTPHandler)?
    let logger: Logger
    /// Told about every certificate that starts serving, so the caller can export its expiry.
    let certificateObserver: @Sendable (Certificate) -> Void
    /// Told about every failed accept(2) (out of descriptors or memory), so the caller can count them.
    let acceptErrorObserver: @Sendable (SystemError) -> Void
    /// Called on SIGHUP (on the accept thread, after the certificate files were checked), so the caller can
    /// re-read what it serves too, such as the policy.
    let reloadObserver: @Sendable () -> Void
    /// Wakes `run()` when `stop()` is called (possibly from a signal handler).
    private let stopSignal: ShutdownSignal
    /// Wakes `run()` on SIGHUP to check the certificate files at once.
    private let reloadSignal: ShutdownSignal
    private let draining = Atomic<Bool>(false)
    private let shuttingDown = Atomic<Bool>(false)
    private let activeConnections = Atomic<Int>(0)
    /// Connections that sent a request and hold one of the `maxConnections` slots.
    private let speaking = Atomic<Int>(0)
    /// Request bytes all connections hold in memory right now (see `maxBufferedBytes`).
    private let bufferedBytes = Atomic<Int>(0)
    private let lastBudgetWarning = Atomic<UInt64>(0)
    /// Silent connections shed since the last warning, logged at most once a second with the refusals.
    private let shedSinceWarning = Atomic<Int>(0)
    private let listener = Mutex<Int32>(-1)
    /// Connections that have not yet sent a complete request, oldest first: shed to make room (see `admit`).
    private let silent = Mutex(SilentConnections())
    /// Slots held per source address, used only when `maxConnectionsPerSource` is set: otherwise no request takes
    /// its lock.
    private let sourceSlots: Mutex<SourceSlots>
    private let capsSources: Bool

    public init(
        configuration: HTTPServerConfiguration, tls: TLSContextReloader, handler: any HTTPHandler, logger: Logger,
        certificateObserver: @escaping @Sendable (Certificate) -> Void = { _ in },
        acceptErrorObserver: @escaping @Sendable (SystemError) -> Void = { _ in },
        reloadObserver: @escaping @Sendable () -> Void = {}
    ) throws {
        self.reloadObserver = reloadObserver
        self.certificateObserver = certificateObserver
        self.acceptErrorObserver = acceptErrorObserver
        self.configuration = configuration
        self.tls = tls
        self.handler = handler
        self.inlineHandler = handler as? any InlineHTTPHandler
        self.logger = logger
        self.stopSignal = try ShutdownSignal()
        self.reloadSignal = try ShutdownSignal()
        self.sourceSlots = Mutex(SourceSlots(limit: configuration.maxConnectionsPerSource ?? .max))
        self.capsSources = configuration.maxConnectionsPerSource != nil
    }

    /// True once the listener closed: responses then say `Connection: close`.
    var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// True from `stop()` on, through the shutdown delay and the drain (a probe listener's readiness follows it).
    public var isShuttingDown: Bool { shuttingDown.load(ordering: .relaxed) }

    /// Connections currently open (for tests and metrics).
    public var openConnections: Int { activeConnections.load(ordering: .relaxed) }

    /// Changes the server-wide count of buffered request bytes by `delta`. An increase that would pass
    /// `maxBufferedBytes` is not made and returns false; decreases always succeed.
    @discardableResult
    func claimBuffered(_ delta: Int) -> Bool {
        guard delta > 0 else {
            bufferedBytes.subtract(-delta, ordering: .relaxed)
            return true
        }
        if bufferedBytes.add(delta, ordering: .relaxed).newValue > configuration.maxBufferedBytes {
            bufferedBytes.subtract(delta, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Logs that a request was refused for the byte budget, at most once a second however many there are:
    /// a flood of requests must not become a flood of logs.
    func reportBudgetRefusal() {
        let now = monotonicNanos()
        let last = lastBudgetWarning.load(ordering: .relaxed)
        guard now >= last + 1_000_000_000,
            lastBudgetWarning.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged
        else { return }
        logger.warning(
            "refusing requests: connections hold too many request bytes",
            metadata: ["limit": "\(configuration.maxBufferedBytes)"])
    }

    /// Opens the listening socket and returns the address actually bound (with the real port when 0 was asked).
    public func bind() throws(SystemError) -> ListenAddress {
        // A peer that resets while we write would otherwise kill the process with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let address = configuration.address
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        let host = address.host.isEmpty ? nil : address.host
        let rc = getaddrinfo(host, String(address.port), &hints, &info)
        guard rc == 0, let first = info else {
            throw SystemError(
                call: "resolving listen address \(address)", errno: rc == EAI_SYSTEM ? errno : EINVAL,
                reason: rc == EAI_SYSTEM ? nil : String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(info) }
        let fd = try syscall("socket") {
            socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            var on: Int32 = 1
            try syscall("setsockopt(SO_REUSEADDR)") {
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            }
            try syscall("bind(\(address))") { Glibc.bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) }
            // A connection that sends nothing stays in the kernel until it does (or for the handshake timeout):
            // idle sockets then take no slot and no thread, and a real client's ClientHello is waiting when
            // accept(2) returns it. Linux only; elsewhere the shedding below still applies.
            var deferSeconds = Int32(clamping: max(1, configuration.handshakeTimeout.nanoseconds / 1_000_000_000))
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_DEFER_ACCEPT, &deferSeconds, socklen_t(MemoryLayout<Int32>.size))
            try syscall("listen") { listen(fd, 1024) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var bound = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            try withUnsafeMutablePointer(to: &bound) { pointer throws(SystemError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SystemError) in
                    _ = try syscall("getsockname") { getsockname(fd, sa, &length) }
                }
            }
            listener.withLock { $0 = fd }
            return Self.describe(bound)
        } catch {
            close(fd)
            throw error
        }
    }

    /// Asks `run()` to drain and return. Safe from any thread and from a signal handler.
    public func stop() { stopSignal.trigger() }

    /// Makes SIGTERM and SIGINT call `stop()`, and SIGHUP check the certificate files at once. The handlers only
    /// write one byte to a pipe.
    public func stopOnTerminationSignals() {
        signalStopFD = stopSignal.writeFD
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            _ = write(signalStopFD, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGINT, &action, nil)
        // SIGHUP's default action is to exit, with no drain and no audit seal: it only asks for a reload here.
        signalReloadFD = reloadSignal.writeFD
        var reload = sigaction()
        reload.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            _ = write(signalReloadFD, &byte, 1)
        }
        sigemptyset(&reload.sa_mask)
        reload.sa_flags = SA_RESTART
        sigaction(SIGHUP, &reload, nil)
        // A blocked mask survives exec: a parent that blocks SIGTERM would otherwise leave us deaf to it.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// Accepts connections until `stop()`; keeps accepting for the shutdown delay, then drains. Call `bind()`
    /// first.
    public func run() {
        let fd = listener.withLock { $0 }
        precondition(fd >= 0, "HTTPServer.run() before bind()")
        let loops: [EventLoop]
        do { loops = try startLoops() } catch {
            logger.error("cannot start the I/O threads", metadata: ["error": "\(error)"])
            close(fd)
            return
        }
        var nextLoop = 0
        let reloadEvery = configuration.certificateReloadInterval.nanoseconds
        var nextReload = monotonicNanos() + reloadEvery
        var accepting = AcceptState()
        var drainAt: UInt64?
        var fds: [pollfd] = []
        while true {
            let now = monotonicNanos()
            if let drainAt, now >= drainAt { break }
            if now >= nextReload {
                reloadCertificates()
                nextReload = now + reloadEvery
            }
            // While accept(2) is failing the listener stays readable: leave it out of the poll set until the
            // back-off has passed, or the loop would spin on it. Once stopping, the stop pipe stays readable too.
            let paused = now < accepting.pausedUntil
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: reloadSignal.readFD, events: Int16(POLLIN), revents: 0))
            if drainAt == nil { fds.append(pollfd(fd: stopSignal.readFD, events: Int16(POLLIN), revents: 0)) }
            if !paused { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            let wake = min(nextReload, paused ? accepting.pausedUntil : .max, drainAt ?? .max)
            let millis = Int32(min((wake - min(now, wake)) / 1_000_000 + 1, 60_000))
            guard (try? syscall("poll", { poll(&fds, nfds_t(fds.count), millis) })) != nil else { continue }
            for entry in fds where entry.revents != 0 {
                switch entry.fd {
                case stopSignal.readFD:
                    drainAt = beginShutdown()
                case reloadSignal.readFD:
                    reloadSignal.drain()
                    logger.info("SIGHUP: checking the certificate files now")
                    reloadCertificates()
                    reloadObserver()
                    nextReload = monotonicNanos() + reloadEvery
                default:
                    acceptPending(listener: fd, state: &accepting) {
                        defer { nextLoop = (nextLoop + 1) % loops.count }
                        return loops[nextLoop]
                    }
                }
            }
        }
        drain(listener: fd, loops: loops)
    }

    /// Starts the I/O threads and the handler pool they share.
    private func startLoops() throws(SystemError) -> [EventLoop] {
        let workers = WorkerPool(
            minThreads: 1, maxThreads: configuration.maxHandlerThreads, stackBytes: configuration.threadStackBytes)
        var started: [EventLoop] = []
        for _ in 0..<max(1, configuration.ioThreads) {
            let loop = try EventLoop(server: self, workers: workers)
            try spawnThread(stackBytes: configuration.threadStackBytes) { loop.run() }
            started.append(loop)
        }
        return started
    }

    /// Marks the server as shutting down (readiness says no) and returns when the listener should close.
    private func beginShutdown() -> UInt64 {
        shuttingDown.store(true, ordering: .relaxed)
        let delay = configuration.shutdownDelay.nanoseconds
        logger.info(
            "shutting down: unready now, still serving until the shutdown delay has passed",
            metadata: ["shutdownDelaySeconds": "\(Double(delay) / 1e9)"])
        return monotonicNanos() + delay
    }

    /// What the accept loop remembers between wake-ups: refused-connection warnings (at most one a second)
    /// and the back-off after a failed accept(2), which doubles from 10 ms to 1 s and resets on success.
    private struct AcceptState {
        var lastRefusalWarning: UInt64 = 0
        var refusedSinceWarning = 0
        var pausedUntil: UInt64 = 0
        var backoff: UInt64 = 0
        var lastFailureWarning: UInt64 = 0
        var failedSinceWarning = 0
    }

    /// Accepts every pending connection, handing each one under the limit to the loop `nextLoop` picks.
    private func acceptPending(
        listener: Int32, state: inout AcceptState, nextLoop: () -> EventLoop
    ) {
        while true {
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    accept(listener, sa, &length)
                }
            }
            if client < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR, ECONNABORTED: continue
                default:
                    acceptFailed(SystemError(call: "accept", errno: errno), state: &state)
                    return
                }
            }
            state.backoff = 0
            // accept4 is a GNU extension the Glibc module does not export; set the flags by hand.
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            if !admit(client, address: address, to: nextLoop()) {
                close(client)
                refused(&state)
            }
        }
    }

    /// Starts serving `client` when there is room among the silent connections, or when its ClientHello is
    /// waiting and the oldest silent connection can be shed for it. False when neither: the caller refuses it.
    ///
    /// A connection counts against `maxConnections` only once it sends a request (`markSpoken`); until then it
    /// is one of at most `maxSilentConnections`, each a descriptor and a few kilobytes. So idle sockets and
    /// stalled handshakes, however many, never take a slot a real client needs, and past their own bound a real
    /// TLS client (which sends its ClientHello right after connecting) displaces the oldest of them. One source
    /// address holds at most `maxSilentConnectionsPerSource` of them: past that its newcomer displaces its own
    /// oldest, never another address's, so one attacking host cannot fill the room. The count briefly exceeds
    /// the bounds by the connections being shed, until their loops close them.
    private func admit(_ client: Int32, address: sockaddr_storage, to loop: EventLoop) -> Bool {
        let open = activeConnections.add(1, ordering: .relaxed).newValue
        let remote = Self.describe(address)
        // Known now, not only once its loop starts it: a burst of newcomers must not shed a real client that
        // is still waiting for its loop as if it had sent nothing.
        let greeted = Self.hasWaitingBytes(client)
        let (total, fromSource) = silent.withLock { ($0.count, $0.count(from: remote.host)) }
        let room =
            fromSource >= configuration.maxSilentConnectionsPerSource
            ? greeted && shedOldestSilent(from: remote.host)
            : total < configuration.maxSilentConnections || greeted && shedOldestSilent(from: nil)
        guard room, open <= 2 * (configuration.maxConnections + configuration.maxSilentConnections) else {
            activeConnections.subtract(1, ordering: .relaxed)
            return false
        }
        var on: Int32 = 1
        setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        let id = silent.withLock { $0.add(fd: client, source: remote.host, stage: greeted ? .handshaking : .mute) }
        loop.post(.adopt(HTTPConnection(fd: client, id: id, greeted: greeted, remoteAddress: "\(remote)", loop: loop)))
        return true
    }

    /// Counts a refused connection, logging at most once a second: a flood of connections must not become a
    /// flood of logs.
    private func refused(_ state: inout AcceptState) {
        state.refusedSinceWarning += 1
        let now = monotonicNanos()
        guard now >= state.lastRefusalWarning + 1_000_000_000 else { return }
        logger.warning(
            "refused connections over the limit of connections that have sent no request",
            metadata: [
                "limit": "\(configuration.maxSilentConnections)",
                "perSourceLimit": "\(configuration.maxSilentConnectionsPerSource)",
                "refused": "\(state.refusedSinceWarning)",
                "shed": "\(shedSinceWarning.exchange(0, ordering: .relaxed))",
            ])
        state.lastRefusalWarning = now
        state.refusedSinceWarning = 0
    }

    /// Shuts the oldest connection (of all, or from `source`) that has sent no complete request, so its loop closes
    /// it and frees its place. `shutdown(2)`, not `close(2)`: the descriptor stays its loop's until that loop
    /// unregisters and closes it, so it is never reused under another connection while shed.
    private func shedOldestSilent(from source: String?) -> Bool {
        // Under the lock its loop takes in `forget` before closing: the number cannot be closed and reused between.
        let shed = silent.withLock { silent in
            (source.map { silent.removeOldest(from: $0) } ?? silent.removeOldest())
                .map { Glibc.shutdown($0, Int32(SHUT_RDWR)) } != nil
        }
        guard shed else { return false }
        shedSinceWarning.add(1, ordering: .relaxed)
        return true
    }

    /// True when the peer has already sent something (a ClientHello), without consuming it.
    private static func hasWaitingBytes(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }

    /// The connection `id` sent its first bytes (a ClientHello) or finished its handshake: see `SilentConnections`.
    func mark(_ id: Int, _ stage: SilentConnections.Stage) { silent.withLock { $0.move(id, to: stage) } }

    /// The connection `id` sent a complete request: it is no longer shed, and takes one of `maxConnections`
    /// slots if one is free (and its source holds fewer than `maxConnectionsPerSource`). False when none is: the
    /// connection is closed without an answer.
    func markSpoken(_ id: Int) -> Bool {
        let source = silent.withLock { $0.remove(id) }
        if capsSources, let source, !sourceSlots.withLock({ $0.claim(id, from: source) }) { return false }
        guard speaking.add(1, ordering: .relaxed).newValue <= configuration.maxConnections else {
            speaking.subtract(1, ordering: .relaxed)
            if capsSources { sourceSlots.withLock { $0.release(id) } }
            return false
        }
        return true
    }

    /// The connection `id` ends; called before its descriptor is closed (see `shedOldestSilent`).
    func forget(_ id: Int) {
        silent.withLock { _ = $0.remove(id) }
        if capsSources { sourceSlots.withLock { $0.release(id) } }
    }

    /// A connection closed its descriptor: its slot (if it had spoken) and its place are free.
    func connectionClosed(spoken: Bool) {
        if spoken { speaking.subtract(1, ordering: .relaxed) }
        activeConnections.subtract(1, ordering: .relaxed)
    }

    /// Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): pending connections wait in the backlog
    /// while accepting pauses, with a doubling back-off, one log line a second at most and a count for metrics.
    private func acceptFailed(_ error: SystemError, state: inout AcceptState) {
        acceptErrorObserver(error)
        let now = monotonicNanos()
        state.backoff = min(max(state.backoff * 2, 10_000_000), 1_000_000_000)
        state.pausedUntil = now + state.backoff
        state.failedSinceWarning += 1
        guard now >= state.lastFailureWarning + 1_000_000_000 else { return }
        logger.error(
            "accept failed; pausing new connections",
            metadata: [
                "error": "\(error)", "failures": "\(state.failedSinceWarning)",
                "retryInMilliseconds": "\(state.backoff / 1_000_000)", "openConnections": "\(openConnections)",
            ])
        state.lastFailureWarning = now
        state.failedSinceWarning = 0
    }

    private func reloadCertificates() {
        switch tls.reloadIfChanged() {
        case .unchanged: break
        case .reloaded(let context):
            certificateObserver(context.certificate)
            logger.info(
                "reloaded TLS certificate",
                metadata: [
                    "subject": "\(context.certificate.subject)", "serial": "\(context.certificate.serialNumber)",
                    "notAfter": "\(Certificate.iso8601(context.certificate.notAfter))",
                ])
        case .failed(let error):
            logger.error(
                "certificate files changed but cannot be loaded; still serving the previous certificate",
                metadata: ["error": "\(error)"])
        }
    }

    private func drain(listener: Int32, loops: [EventLoop]) {
        close(listener)
        self.listener.withLock { $0 = -1 }
        draining.store(true, ordering: .relaxed)
        for loop in loops { loop.post(.drain) }
        let inFlight = openConnections
        logger.info(
            "draining",
            metadata: [
                "connections": "\(inFlight)",
                "timeoutSeconds": "\(Double(configuration.drainTimeout.nanoseconds) / 1e9)",
            ])
        let deadline = monotonicNanos() + configuration.drainTimeout.nanoseconds
        while openConnections > 0 && monotonicNanos() < deadline {
            usleep(10_000)
        }
        let left = openConnections
        if left > 0 {
            logger.warning("drain timeout reached; abandoning connections", metadata: ["connections": "\(left)"])
        } else {
            logger.info("drained; all connections closed")
        }
        for loop in loops { loop.post(.stop) }
        loops.first?.workers.stop()
    }

    private static func describe(_ storage: sockaddr_storage) -> ListenAddress {
        var storage = storage
        let family = Int32(storage.ss_family)
        var host = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        return withUnsafePointer(to: &storage) { pointer in
            switch family {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &addr, &host, socklen_t(host.count))
                    return ListenAddress(
                        host: String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                        port: Int(UInt16(bigEndian: sin.pointee.sin_port)))
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    var addr = sin6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &addr, &host, socklen_t(host.count))
                    return ListenAddress(
                        host: String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                        port: Int(UInt16(bigEndian: sin6.pointee.sin6_port)))
                }
            default:
                return ListenAddress(host: "?", port: 0)
            }
        }
    }
}

/// The write end of the running server's stop pipe, for the signal handler (which cannot capture context).
/// `nonisolated(unsafe)`: written once before the handler is installed, then only read.
nonisolated(unsafe) private var signalStopFD: Int32 = -1
/// The reload pipe's write end, for the SIGHUP handler (same reasoning as `signalStopFD`).
nonisolated(unsafe) private var signalReloadFD: Int32 = -1
