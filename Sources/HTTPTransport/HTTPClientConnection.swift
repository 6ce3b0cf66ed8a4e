import PortcullisCrypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One outgoing TCP connection (TLS or plain) on a non-blocking socket; every wait is a poll(2) bounded by the
/// request's deadline, so a registry that accepts and never answers costs exactly the deadline, never a thread.
final class HTTPClientConnection {
    let endpoint: HTTPEndpoint
    private let fd: Int32
    private var session: TLSSession?
    private var readBuffer = [UInt8](repeating: 0, count: 32 * 1024)

    private init(endpoint: HTTPEndpoint, fd: Int32) {
        self.endpoint = endpoint
        self.fd = fd
    }

    deinit {
        session?.shutdown()
        close(fd)
    }

    /// Resolves, connects and (for TLS) completes the handshake, all before `deadline`.
    static func open(_ endpoint: HTTPEndpoint, tls: TLSClientContext?, deadline: UInt64) throws(HTTPClientError)
        -> HTTPClientConnection
    {
        func fail(_ kind: HTTPClientError.Kind, _ detail: String) -> HTTPClientError {
            HTTPClientError(kind, endpoint: endpoint.description, detail)
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard rc == 0, let list else {
            throw fail(.connect, "cannot resolve \(endpoint.host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no addresses"
        var next: UnsafeMutablePointer<addrinfo>? = list
        while let info = next {
            next = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            let connection = HTTPClientConnection(endpoint: endpoint, fd: fd)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
                guard errno == EINPROGRESS else {
                    lastError = String(cString: strerror(errno))
                    continue
                }
                guard connection.wait(for: Int16(POLLOUT), deadline: deadline) else {
                    throw fail(.timeout, "no TCP connection within the deadline")
                }
                var soError: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
                guard soError == 0 else {
                    lastError = String(cString: strerror(soError))
                    continue
                }
            }
            if let tls { try connection.handshake(tls, deadline: deadline) }
            return connection
        }
        throw fail(.connect, lastError)
    }

    private func handshake(_ tls: TLSClientContext, deadline: UInt64) throws(HTTPClientError) {
        let session: TLSSession
        do { session = try tls.session(fileDescriptor: fd, host: endpoint.host) } catch {
            throw HTTPClientError(.tls, endpoint: endpoint.description, "\(error)")
        }
        self.session = session
        while true {
            switch session.handshake() {
            case .done: return
            case .wantRead:
                guard wait(for: Int16(POLLIN), deadline: deadline) else { throw timeout("the TLS handshake") }
            case .wantWrite:
                guard wait(for: Int16(POLLOUT), deadline: deadline) else { throw timeout("the TLS handshake") }
            case .closed:
                throw HTTPClientError(
                    .tls, endpoint: endpoint.description, "the registry closed the connection during the handshake")
            case .failed(let error):
                throw HTTPClientError(.tls, endpoint: endpoint.description, "handshake failed: \(error)")
            }
        }
    }

    private func timeout(_ what: String) -> HTTPClientError {
        HTTPClientError(.timeout, endpoint: endpoint.description, "no progress in \(what) before the deadline")
    }

    /// Sends `bytes` completely. `false` when the peer is gone (a reused connection the registry closed).
    func write(_ bytes: [UInt8], deadline: UInt64) throws(HTTPClientError) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                io(UnsafeRawBufferPointer(rebasing: raw[offset...]), reading: false)
            }
            switch result {
            case .done(let count): offset += count
            case .wantRead:
                guard wait(for: Int16(POLLIN), deadline: deadline) else { throw timeout("sending the request") }
            case .wantWrite:
                guard wait(for: Int16(POLLOUT), deadline: deadline) else { throw timeout("sending the request") }
            case .closed: return false
            case .failed(let error): throw HTTPClientError(.tls, endpoint: endpoint.description, "\(error)")
            }
        }
        return true
    }

    /// Reads one response. `nil` when the peer closed before sending anything (a stale pooled connection).
    func readResponse(maxBodyBytes: Int, isHead: Bool, deadline: UInt64) throws(HTTPClientError)
        -> (response: HTTPClientResponse, reusable: Bool)?
    {
        var parser = HTTPClientResponseParser(maxBodyBytes: maxBodyBytes, isHead: isHead)
        var received = 0
        while true {
            let result = readBuffer.withUnsafeMutableBytes { raw in
                io(UnsafeRawBufferPointer(raw), reading: true, into: raw)
            }
            var event = HTTPClientResponseParser.Event.needMore
            switch result {
            case .done(let count):
                received += count
                parser.append(readBuffer[0..<count])
                event = parser.next()
            case .wantRead:
                guard wait(for: Int16(POLLIN), deadline: deadline) else { throw timeout("waiting for the response") }
            case .wantWrite:
                guard wait(for: Int16(POLLOUT), deadline: deadline) else { throw timeout("waiting for the response") }
            case .closed:
                if received == 0 { return nil }
                event = parser.endOfStream()
            case .failed(let error): throw HTTPClientError(.tls, endpoint: endpoint.description, "\(error)")
            }
            switch event {
            case .needMore: continue
            case .complete(let response, let reusable): return (response, reusable)
            case .failed(let problem):
                throw HTTPClientError(
                    problem.contains("limit") ? .tooLarge : .protocolViolation, endpoint: endpoint.description, problem)
            }
        }
    }

    /// One read or write on the TLS session or the plain socket, in the TLS session's terms.
    private func io(_ bytes: UnsafeRawBufferPointer, reading: Bool, into target: UnsafeMutableRawBufferPointer? = nil)
        -> TLSIOResult
    {
        if let session {
            return reading ? session.read(into: target!) : session.write(bytes)
        }
        let n =
            reading
            ? Glibc.read(fd, target!.baseAddress, target!.count) : Glibc.write(fd, bytes.baseAddress, bytes.count)
        if n > 0 { return .done(n) }
        if n == 0 { return reading ? .closed : .done(0) }
        switch errno {
        case EAGAIN, EWOULDBLOCK, EINTR: return reading ? .wantRead : .wantWrite
        case ECONNRESET, EPIPE: return .closed
        default:
            return .failed(
                OpenSSLError("socket \(reading ? "read" : "write") failed: \(String(cString: strerror(errno)))"))
        }
    }

    /// Whether the socket became ready before `deadline`.
    private func wait(for events: Int16, deadline: UInt64) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let now = monotonicNanos()
            guard now < deadline else { return false }
            let millis = Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
            let ready = (try? syscall("poll") { poll(&entry, 1, millis) }) ?? -1
            if ready < 0 { return false }
            if ready > 0 { return true }
        }
    }
}
