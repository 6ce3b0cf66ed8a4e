import Logging
import PortcullisCrypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One accepted TCP connection, served start to end on its own thread: TLS handshake, then requests
/// in order until the client or a limit ends it.
///
/// Every wait is a poll(2) bounded by the deadline of the current phase, so a client that stalls only
/// ever holds its own thread. The socket is non-blocking: OpenSSL never blocks inside a half-received
/// record, and data OpenSSL already buffered is read before any poll (a read is always tried first).
final class HTTPConnection {
    private enum Wait { case ready, timedOut, shutdown, failed }

    private let fd: Int32
    /// The server's handle for shedding: registered as silent until the first complete request.
    private let id: Int
    private var hasSpoken = false
    private var greeted = false
    private let remoteAddress: String
    private let server: HTTPServer
    private var logger: Logger
    private var session: TLSSession?
    /// The verified client certificate, read once after the handshake: every request on the connection shares it.
    private var clientCertificate: ClientCertificate?
    private var parser: HTTPRequestParser
    /// Small on purpose: it lives as long as the connection, hundreds of connections are open at once, and
    /// OpenSSL keeps the rest of a record pending for the next read (which always comes before any poll).
    /// Bytes this connection has counted against the server-wide `maxBufferedBytes`.
    private var claimedBytes = 0
    private var readBuffer = [UInt8](repeating: 0, count: 4 * 1024)

    init(fd: Int32, id: Int, remoteAddress: String, server: HTTPServer) {
        self.fd = fd
        self.id = id
        self.remoteAddress = remoteAddress
        self.server = server
        self.parser = HTTPRequestParser(limits: server.configuration.limits)
        var logger = server.logger
        logger[metadataKey: "remote"] = "\(remoteAddress)"
        self.logger = logger
    }

    deinit {
        server.claimBuffered(-claimedBytes)
        // Before close: the server may be shutting this descriptor to shed it, and must never see its number reused.
        server.forget(id)
        close(fd)
    }

    func run() {
        let config = server.configuration
        guard handshake(deadline: monotonicNanos() + config.handshakeTimeout.nanoseconds) else { return }
        serveRequests()
        closeGracefully()
    }

    // MARK: - TLS handshake

    private func handshake(deadline: UInt64) -> Bool {
        let session: TLSSession
        do {
            session = try TLSSession(context: server.tls.current, fileDescriptor: fd)
        } catch {
            logger.error("cannot start a TLS session", metadata: ["error": "\(error)"])
            return false
        }
        self.session = session
        // A ClientHello already waiting means a real TLS client: it is shed only after sockets that sent nothing.
        var peek: UInt8 = 0
        if recv(fd, &peek, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0 { greet() }
        while true {
            let wait: Wait
            switch session.handshake() {
            case .done(_):
                greet()
                server.mark(id, .handshaken)
                clientCertificate = session.verifiedPeerCertificate.map(ClientCertificate.init)
                logger.debug(
                    "TLS handshake done",
                    metadata: [
                        "tls": "\(session.protocolVersion)", "alpn": "\(session.applicationProtocol ?? "none")",
                        "client": "\(clientCertificate?.subject ?? "none")",
                    ])
                return true
            case .wantRead:
                wait = self.wait(for: Int16(POLLIN), deadline: deadline, watchShutdown: false)
                if case .ready = wait { greet() }
            case .wantWrite: wait = self.wait(for: Int16(POLLOUT), deadline: deadline, watchShutdown: false)
            case .closed:
                return false
            case .failed(let error):
                // Scanners, wrong CAs and clients without a certificate end up here; not the server's problem.
                logger.debug("TLS handshake failed", metadata: ["error": "\(error)"])
                return false
            }
            guard case .ready = wait else {
                logger.debug("TLS handshake did not finish in time")
                return false
            }
        }
    }

    private func greet() {
        guard !greeted else { return }
        greeted = true
        server.mark(id, .handshaking)
    }

    // MARK: - Requests

    private func serveRequests() {
        let config = server.configuration
        // A fresh connection gets the header timeout to send its first request, not the long idle timeout.
        var deadline = monotonicNanos() + config.headerTimeout.nanoseconds
        var timedPhase: HTTPRequestParser.Phase? = .idle
        while true {
            switch parser.next() {
            case .request(let request, let keepAlive):
                if !hasSpoken {
                    hasSpoken = true
                    server.markSpoken(id)
                }
                let now = monotonicNanos()
                var requestDeadline = now + config.requestTimeout.nanoseconds
                if let timeout = request.queryValue("timeout").flatMap(GoDuration.nanoseconds) {
                    requestDeadline = min(requestDeadline, now + timeout)
                }
                let context = RequestContext(
                    deadlineNanos: requestDeadline, remoteAddress: remoteAddress, clientCertificate: clientCertificate,
                    serverIsShuttingDown: server.isShuttingDown)
                let response = server.handler.handle(request, context: context)
                let keepOpen = keepAlive && !server.isDraining
                let bytes = response.serialized(
                    keepAlive: keepOpen, includeBody: request.method != "HEAD", date: httpDate(time(nil)))
                guard write(bytes), keepOpen else { return }
                // The body is gone with the handler's answer; give its bytes back to the server's budget.
                _ = claimHeldBytes()
                timedPhase = nil
            case .expectsContinue:
                guard write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return }
            case .failure(let error):
                logger.debug(
                    "refusing a request", metadata: ["status": "\(error.status)", "reason": "\(error.reason)"])
                respondAndClose(HTTPResponse.text(error.status, error.reason + "\n"))
                return
            case .needMoreData:
                let phase = parser.phase
                if phase != timedPhase {
                    let timeout =
                        switch phase {
                        case .idle: config.idleTimeout
                        case .head: config.headerTimeout
                        case .body: config.bodyTimeout
                        }
                    deadline = monotonicNanos() + timeout.nanoseconds
                    timedPhase = phase
                }
                switch read(deadline: deadline, idle: phase == .idle) {
                case .ready:
                    guard claimHeldBytes() else {
                        server.reportBudgetRefusal()
                        respondAndClose(HTTPResponse.text(503, "server is holding too much request data; retry\n"))
                        return
                    }
                case .timedOut where phase != .idle:
                    respondAndClose(HTTPResponse.text(408, "request not received in time\n"))
                    return
                default: return
                }
            }
        }
    }

    /// Brings this connection's claim on the server's byte budget in line with what the parser holds.
    /// False, with nothing claimed, when the increase does not fit.
    private func claimHeldBytes() -> Bool {
        let held = parser.heldByteCount
        guard server.claimBuffered(held - claimedBytes) else { return false }
        claimedBytes = held
        return true
    }

    private func respondAndClose(_ response: HTTPResponse) {
        _ = write(response.serialized(keepAlive: false, includeBody: true, date: httpDate(time(nil))))
    }

    // MARK: - I/O

    /// Reads what is available into the parser. An idle connection also wakes for shutdown and closes.
    private func read(deadline: UInt64, idle: Bool) -> Wait {
        guard let session else { return .failed }
        while true {
            let result = readBuffer.withUnsafeMutableBytes { session.read(into: $0) }
            let wait: Wait
            switch result {
            case .done(let count):
                parser.append(readBuffer[0..<count])
                return .ready
            case .wantRead: wait = self.wait(for: Int16(POLLIN), deadline: deadline, watchShutdown: idle)
            case .wantWrite: wait = self.wait(for: Int16(POLLOUT), deadline: deadline, watchShutdown: idle)
            case .closed: return .failed
            case .failed(let error):
                logger.debug("TLS read failed", metadata: ["error": "\(error)"])
                return .failed
            }
            guard case .ready = wait else { return wait }
        }
    }

    /// Writes all of `bytes` within the body timeout.
    private func write(_ bytes: [UInt8]) -> Bool {
        guard let session else { return false }
        let deadline = monotonicNanos() + server.configuration.bodyTimeout.nanoseconds
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { session.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            let wait: Wait
            switch result {
            case .done(let count):
                offset += count
                continue
            case .wantRead: wait = self.wait(for: Int16(POLLIN), deadline: deadline, watchShutdown: false)
            case .wantWrite: wait = self.wait(for: Int16(POLLOUT), deadline: deadline, watchShutdown: false)
            case .closed: return false
            case .failed(let error):
                logger.debug("TLS write failed", metadata: ["error": "\(error)"])
                return false
            }
            guard case .ready = wait else { return false }
        }
        return true
    }

    private func wait(for events: Int16, deadline: UInt64, watchShutdown: Bool) -> Wait {
        var fds = [
            pollfd(fd: fd, events: events, revents: 0),
            pollfd(fd: server.shutdown.readFD, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let now = monotonicNanos()
            guard now < deadline else { return .timedOut }
            let millis = Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
            let ready: Int32
            do {
                ready = try syscall("poll") { poll(&fds, watchShutdown ? 2 : 1, millis) }
            } catch {
                logger.error("waiting for the client failed", metadata: ["error": "\(error)"])
                return .failed
            }
            if ready == 0 { continue }
            if watchShutdown && fds[1].revents != 0 { return .shutdown }
            if fds[0].revents != 0 { return .ready }
        }
    }

    /// Sends close_notify and half-closes, then reads and discards what the client still sends (a body we
    /// refused, say) for a moment: closing with unread data makes the kernel send a reset, which can destroy
    /// the response before the client reads it.
    private func closeGracefully() {
        session?.shutdown()
        Glibc.shutdown(fd, Int32(SHUT_WR))
        let deadline = monotonicNanos() + 2_000_000_000
        var discard = [UInt8](repeating: 0, count: 4096)
        while case .ready = wait(for: Int16(POLLIN), deadline: deadline, watchShutdown: false) {
            if Glibc.read(fd, &discard, discard.count) <= 0 { return }
        }
    }
}
