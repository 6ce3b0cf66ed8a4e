import Logging
import PortcullisCrypto
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The HTTPS server: one thread accepts, each connection gets its own thread (see `HTTPConnection`).
///
/// Life cycle: `bind()` opens the listening socket (so the caller can log the real port), `run()` accepts
/// and checks the certificate files until `stop()`, then drains: it closes the listener, wakes idle
/// keep-alive connections so they close, gives in-flight requests up to `drainTimeout`, and returns.
public final class HTTPServer: Sendable {
    let configuration: HTTPServerConfiguration
    let tls: TLSContextReloader
    let handler: any HTTPHandler
    let logger: Logger
    /// Told about every certificate that starts serving, so the caller can export its expiry.
    let certificateObserver: @Sendable (Certificate) -> Void
    /// Wakes idle connections when draining starts.
    let shutdown: ShutdownSignal
    /// Wakes `run()` when `stop()` is called (possibly from a signal handler).
    private let stopSignal: ShutdownSignal
    private let draining = Atomic<Bool>(false)
    private let activeConnections = Atomic<Int>(0)
    /// Request bytes all connections hold in memory right now (see `maxBufferedBytes`).
    private let bufferedBytes = Atomic<Int>(0)
    private let lastBudgetWarning = Atomic<UInt64>(0)
    private let listener = Mutex<Int32>(-1)

    public init(
        configuration: HTTPServerConfiguration, tls: TLSContextReloader, handler: any HTTPHandler, logger: Logger,
        certificateObserver: @escaping @Sendable (Certificate) -> Void = { _ in }
    ) throws {
        self.certificateObserver = certificateObserver
        self.configuration = configuration
        self.tls = tls
        self.handler = handler
        self.logger = logger
        self.shutdown = try ShutdownSignal()
        self.stopSignal = try ShutdownSignal()
    }

    /// True once `stop()` was called: responses then say `Connection: close`.
    var isDraining: Bool { draining.load(ordering: .relaxed) }

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

    /// Makes SIGTERM and SIGINT call `stop()`. The handler only writes one byte to a pipe.
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
        // A blocked mask survives exec: a parent that blocks SIGTERM would otherwise leave us deaf to it.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// Accepts connections until `stop()`, then drains. Call `bind()` first.
    public func run() {
        let fd = listener.withLock { $0 }
        precondition(fd >= 0, "HTTPServer.run() before bind()")
        let reloadEvery = configuration.certificateReloadInterval.nanoseconds
        var nextReload = monotonicNanos() + reloadEvery
        var lastRefusalWarning: UInt64 = 0
        var refusedSinceWarning = 0
        var fds = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stopSignal.readFD, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let now = monotonicNanos()
            if now >= nextReload {
                reloadCertificates()
                nextReload = now + reloadEvery
            }
            let millis = Int32(min((nextReload - min(now, nextReload)) / 1_000_000 + 1, 60_000))
            guard (try? syscall("poll", { poll(&fds, 2, millis) })) != nil else { continue }
            if fds[1].revents != 0 { break }
            if fds[0].revents != 0 {
                acceptPending(
                    listener: fd, lastRefusalWarning: &lastRefusalWarning, refusedSinceWarning: &refusedSinceWarning)
            }
        }
        drain(listener: fd)
    }

    /// Accepts every pending connection, starting a thread for each one under the limit.
    /// `lastRefusalWarning` and `refusedSinceWarning` belong to the accept loop (one thread).
    private func acceptPending(listener: Int32, lastRefusalWarning: inout UInt64, refusedSinceWarning: inout Int) {
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
                    // Out of descriptors or memory: say so, and let poll's timeout pace the retries.
                    logger.error("accept failed", metadata: ["error": "\(SystemError(call: "accept", errno: errno))"])
                    return
                }
            }
            let open = activeConnections.add(1, ordering: .relaxed).newValue
            if open > configuration.maxConnections {
                activeConnections.subtract(1, ordering: .relaxed)
                close(client)
                refusedSinceWarning += 1
                let now = monotonicNanos()
                // At most one line a second: a flood of connections must not become a flood of logs.
                if now >= lastRefusalWarning + 1_000_000_000 {
                    logger.warning(
                        "refused connections over the limit",
                        metadata: ["limit": "\(configuration.maxConnections)", "refused": "\(refusedSinceWarning)"])
                    lastRefusalWarning = now
                    refusedSinceWarning = 0
                }
                continue
            }
            // accept4 is a GNU extension the Glibc module does not export; set the flags by hand.
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            var on: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            let remote = Self.describe(address)
            let connection = HTTPConnection(fd: client, remoteAddress: "\(remote)", server: self)
            let box = UncheckedSendable(connection)
            do {
                try spawnThread(stackBytes: configuration.threadStackBytes) { [self] in
                    box.value.run()
                    activeConnections.subtract(1, ordering: .relaxed)
                }
            } catch {
                activeConnections.subtract(1, ordering: .relaxed)
                logger.error("cannot start a connection thread", metadata: ["error": "\(error)"])
            }
        }
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

    private func drain(listener: Int32) {
        close(listener)
        self.listener.withLock { $0 = -1 }
        draining.store(true, ordering: .relaxed)
        shutdown.trigger()
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

/// Hands a connection to the thread that will own it from then on.
/// `@unchecked Sendable`: the accept thread never touches the connection after handing it over.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
