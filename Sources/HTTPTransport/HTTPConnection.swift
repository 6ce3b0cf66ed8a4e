import CShims
import Logging
import PortcullisCrypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One accepted TCP connection as a state machine its event loop drives: TLS handshake, then requests in order
/// until the client or a limit ends it, then a graceful close.
///
/// Each step runs until the socket would block, then arms the descriptor for what it waits for and sets the
/// deadline of the phase: a client that stalls holds a few kilobytes and a heap entry, never a thread. A read is
/// always tried before waiting, since OpenSSL may hold decrypted bytes the socket no longer signals. Requests go
/// to an `InlineHTTPHandler` on the loop's own thread, or to the worker pool for a handler that blocks; an answer
/// given elsewhere comes back through the loop's inbox (see `HTTPResponder`).
///
/// `@unchecked Sendable`: only its loop's thread reads or writes its state; other threads only carry the
/// reference back to that loop's inbox (`EventLoop.post`).
final class HTTPConnection: @unchecked Sendable {
    /// What follows a write.
    private enum AfterWrite {
        /// `100 Continue`: the body of the same request.
        case body
        /// A response on a keep-alive connection: the next request.
        case nextRequest
        case close
    }

    private enum State {
        case handshaking
        case reading
        /// The request is with a handler; the descriptor is not armed.
        case handling
        case writing(bytes: [UInt8], offset: Int, then: AfterWrite)
        /// After close_notify and a half-close: what the client still sends is read and discarded (see `linger`).
        case lingering
        case closed
    }

    let fd: Int32
    /// The server's handle for shedding: registered as silent until the first complete request.
    let id: Int
    private let loop: EventLoop
    private var server: HTTPServer { loop.server }
    private var state = State.handshaking
    private var hasSpoken = false
    private var greeted: Bool
    private let remoteAddress: String
    /// Made when a line is logged, not kept: a logger with metadata holds a dictionary, ≈ 0.4 KiB per idle connection.
    private var logger: Logger {
        var logger = server.logger
        logger[metadataKey: "remote"] = "\(remoteAddress)"
        return logger
    }
    private var session: TLSSession?
    /// The verified client certificate, read once after the handshake: every request on the connection shares it.
    private var clientCertificate: ClientCertificate?
    private var parser: HTTPRequestParser
    /// Bytes this connection has counted against the server-wide `maxBufferedBytes`.
    private var claimedBytes = 0
    /// The phase whose timeout `deadline` was set from; nil after a response, so the next phase sets it afresh.
    private var timedPhase: HTTPRequestParser.Phase?
    private var deadline = UInt64.max
    /// The earliest entry this connection has in its loop's deadline heap (`DeadlineHeap`).
    private var queuedDeadline = UInt64.max
    /// The request with a handler now, while in `.handling`.
    private var responder: HTTPResponder?
    /// True while an inline handler runs on the loop thread; what it answered meanwhile, written when it returns.
    private var handlingInline = false
    private var inlineAnswer: HTTPResponse?
    /// True while `serveRequests` runs: a write that finishes inside it asks it to go on instead of re-entering,
    /// so pipelined requests answered inline take a loop, not a stack frame each.
    private var serving = false
    private var serveAgain = false

    /// `greeted`: its ClientHello was already waiting when it was accepted (it is then shed only after sockets
    /// that sent nothing, see `SilentConnections`).
    init(fd: Int32, id: Int, greeted: Bool, remoteAddress: String, loop: EventLoop) {
        self.fd = fd
        self.id = id
        self.greeted = greeted
        self.remoteAddress = remoteAddress
        self.loop = loop
        self.parser = HTTPRequestParser(limits: loop.server.configuration.limits)
    }

    // MARK: - Driven by the loop

    /// The loop adopted the connection: start the handshake.
    func start() {
        setDeadline(monotonicNanos() + server.configuration.handshakeTimeout.nanoseconds)
        do {
            session = try TLSSession(context: server.tls.current, fileDescriptor: fd)
        } catch {
            logger.error("cannot start a TLS session", metadata: ["error": "\(error)"])
            return finish()
        }
        handshake()
    }

    /// The descriptor became ready for what it was armed for (or hung up).
    func ready(events: UInt32) {
        switch state {
        case .handshaking:
            if events & EPOLLIN.rawValue != 0 { greet() }
            handshake()
        case .reading: serveRequests()
        case .writing: write()
        case .lingering: linger()
        case .handling, .closed: break
        }
    }

    /// The handler's answer to the request `responder` stands for; ignored once that request is over.
    func respond(_ response: HTTPResponse, for responder: HTTPResponder) {
        guard case .handling = state, self.responder === responder else { return }
        self.responder = nil
        responder.finished()
        let open = responder.keepAlive && !server.isDraining
        let bytes = response.serialized(keepAlive: open, includeBody: responder.includeBody, date: loop.date)
        startWrite(bytes, then: open ? .nextRequest : .close)
    }

    /// True while `responder`'s handler runs inline on this loop's thread (see `HTTPResponder.respond`).
    func isHandlingInline(_ responder: HTTPResponder) -> Bool { handlingInline && self.responder === responder }

    /// Keeps an inline handler's answer until it returns.
    func answerWhenHandlerReturns(_ response: HTTPResponse) { inlineAnswer = response }

    /// Draining began: a connection waiting for a request closes now; one mid-request finishes it first (its
    /// response then says `Connection: close`).
    func drain() {
        if case .reading = state, parser.phase == .idle { closeGracefully() }
    }

    /// The server stopped (drain timeout passed): close without another word.
    func abandon() { finish() }

    /// One of this connection's heap entries came due: act if the real deadline has passed, else queue that.
    func deadlineEntryDue(_ entry: UInt64, now: UInt64) {
        guard entry == queuedDeadline else { return }
        queuedDeadline = .max
        guard deadline <= now else {
            setDeadline(deadline)
            return
        }
        deadline = .max
        switch state {
        case .handshaking:
            logger.debug("TLS handshake did not finish in time")
            finish()
        case .reading:
            if parser.phase == .idle {
                closeGracefully()
            } else {
                respondAndClose(HTTPResponse.text(408, "request not received in time\n"))
            }
        case .writing: closeGracefully()
        case .lingering: finish()
        case .handling:
            // The handler said what to answer if it has not by now (`HTTPResponder.giveUpAt`).
            if let responder, let response = responder.expire() { respond(response, for: responder) }
        case .closed: break
        }
    }

    // MARK: - TLS handshake

    private func handshake() {
        guard let session else { return finish() }
        switch session.handshake() {
        case .done(_):
            greet()
            server.mark(id, .handshaken)
            loop.trimPending = true
            clientCertificate = session.verifiedPeerCertificate.map(ClientCertificate.init)
            logger.debug(
                "TLS handshake done",
                metadata: [
                    "tls": "\(session.protocolVersion)", "alpn": "\(session.applicationProtocol ?? "none")",
                    "client": "\(clientCertificate?.subject ?? "none")",
                ])
            state = .reading
            // A fresh connection gets the header timeout to send its first request, not the long idle timeout.
            timedPhase = .idle
            setDeadline(monotonicNanos() + server.configuration.headerTimeout.nanoseconds)
            serveRequests()
        case .wantRead: loop.arm(self, events: EPOLLIN.rawValue)
        case .wantWrite: loop.arm(self, events: EPOLLOUT.rawValue)
        case .closed: finish()
        case .failed(let error):
            // Scanners, wrong CAs and clients without a certificate end up here; not the server's problem.
            logger.debug("TLS handshake failed", metadata: ["error": "\(error)"])
            finish()
        }
    }

    private func greet() {
        guard !greeted else { return }
        greeted = true
        server.mark(id, .handshaking)
    }

    // MARK: - Requests

    /// Parses what is buffered and reads more, until a request goes to a handler or the socket would block.
    private func serveRequests() {
        guard !serving else {
            serveAgain = true
            return
        }
        serving = true
        repeat {
            serveAgain = false
            serveBuffered()
        } while serveAgain
        serving = false
    }

    private func serveBuffered() {
        guard let session else { return finish() }
        let config = server.configuration
        while true {
            switch parser.next() {
            case .request(let request, let keepAlive):
                return dispatch(request, keepAlive: keepAlive)
            case .expectsContinue:
                return startWrite(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), then: .body)
            case .failure(let error):
                logger.debug(
                    "refusing a request", metadata: ["status": "\(error.status)", "reason": "\(error.reason)"])
                return respondAndClose(HTTPResponse.text(error.status, error.reason + "\n"))
            case .needMoreData:
                let phase = parser.phase
                if phase != timedPhase {
                    let timeout =
                        switch phase {
                        case .idle: config.idleTimeout
                        case .head: config.headerTimeout
                        case .body: config.bodyTimeout
                        }
                    setDeadline(monotonicNanos() + timeout.nanoseconds)
                    timedPhase = phase
                }
                if phase == .idle && server.isDraining { return closeGracefully() }
                let result = loop.readBuffer.withUnsafeMutableBytes { session.read(into: $0) }
                switch result {
                case .done(let count):
                    parser.append(loop.readBuffer[0..<count])
                    guard claimHeldBytes() else {
                        server.reportBudgetRefusal()
                        return respondAndClose(
                            HTTPResponse.text(503, "server is holding too much request data; retry\n"))
                    }
                case .wantRead: return loop.arm(self, events: EPOLLIN.rawValue)
                case .wantWrite: return loop.arm(self, events: EPOLLOUT.rawValue)
                case .closed: return closeGracefully()
                case .failed(let error):
                    logger.debug("TLS read failed", metadata: ["error": "\(error)"])
                    return closeGracefully()
                }
            }
        }
    }

    /// Hands a complete request to the worker pool; its response comes back through the loop's inbox.
    private func dispatch(_ request: HTTPRequest, keepAlive: Bool) {
        if !hasSpoken {
            guard server.markSpoken(id) else {
                logger.debug(
                    "closing a connection over the limit", metadata: ["limit": "\(server.configuration.maxConnections)"]
                )
                return finish()
            }
            hasSpoken = true
        }
        let now = monotonicNanos()
        var requestDeadline = now + server.configuration.requestTimeout.nanoseconds
        if let timeout = request.queryValue("timeout").flatMap(GoDuration.nanoseconds) {
            requestDeadline = min(requestDeadline, now + timeout)
        }
        let context = RequestContext(
            deadlineNanos: requestDeadline, remoteAddress: remoteAddress, clientCertificate: clientCertificate,
            serverIsShuttingDown: server.isShuttingDown)
        state = .handling
        deadline = .max
        let responder = HTTPResponder(
            connection: self, loop: loop, includeBody: request.method != "HEAD", keepAlive: keepAlive)
        self.responder = responder
        guard let inline = server.inlineHandler else {
            let handler = server.handler
            return responder.offload { handler.handle(request, context: context) }
        }
        handlingInline = true
        inline.handle(request, context: context, responder: responder)
        handlingInline = false
        if let answer = inlineAnswer {
            inlineAnswer = nil
            respond(answer, for: responder)
        } else if let fallback = responder.fallback {
            setDeadline(fallback.deadline)
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
        startWrite(response.serialized(keepAlive: false, includeBody: true, date: loop.date), then: .close)
    }

    // MARK: - Writing and closing

    /// Writes `bytes` within the body timeout, then reads the next request or closes.
    private func startWrite(_ bytes: [UInt8], then next: AfterWrite) {
        state = .writing(bytes: bytes, offset: 0, then: next)
        setDeadline(monotonicNanos() + server.configuration.bodyTimeout.nanoseconds)
        write()
    }

    private func write() {
        guard let session, case .writing(let bytes, var offset, let next) = state else { return }
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { session.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            switch result {
            case .done(let count): offset += count
            case .wantRead:
                state = .writing(bytes: bytes, offset: offset, then: next)
                return loop.arm(self, events: EPOLLIN.rawValue)
            case .wantWrite:
                state = .writing(bytes: bytes, offset: offset, then: next)
                return loop.arm(self, events: EPOLLOUT.rawValue)
            case .closed: return closeGracefully()
            case .failed(let error):
                logger.debug("TLS write failed", metadata: ["error": "\(error)"])
                return closeGracefully()
            }
        }
        switch next {
        case .close: return closeGracefully()
        case .body: break
        case .nextRequest:
            // The body is gone with the handler's answer; give its bytes back to the server's budget.
            _ = claimHeldBytes()
            timedPhase = nil
        }
        state = .reading
        serveRequests()
    }

    /// Sends close_notify and half-closes, then reads and discards what the client still sends (a body we
    /// refused, say) for a moment: closing with unread data makes the kernel send a reset, which can destroy
    /// the response before the client reads it.
    private func closeGracefully() {
        session?.shutdown()
        Glibc.shutdown(fd, Int32(SHUT_WR))
        state = .lingering
        setDeadline(monotonicNanos() + 2_000_000_000)
        linger()
    }

    private func linger() {
        while true {
            let count = loop.readBuffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return loop.arm(self, events: EPOLLIN.rawValue)
            }
            if count < 0 && errno == EINTR { continue }
            return finish()
        }
    }

    /// Closes the descriptor and gives back the connection's slot and bytes.
    private func finish() {
        if case .closed = state { return }
        state = .closed
        deadline = .max
        responder?.finished()
        responder = nil
        session = nil
        server.claimBuffered(-claimedBytes)
        claimedBytes = 0
        loop.remove(self)
        // Before close: the server may be shutting this descriptor to shed it, and must never see its number reused.
        server.forget(id)
        close(fd)
        server.connectionClosed(spoken: hasSpoken)
        loop.trimPending = true
    }

    /// Sets the phase's deadline, queueing a heap entry only when it is earlier than the one already queued.
    private func setDeadline(_ value: UInt64) {
        deadline = value
        guard value < queuedDeadline else { return }
        queuedDeadline = value
        loop.schedule(self, at: value)
    }
}
