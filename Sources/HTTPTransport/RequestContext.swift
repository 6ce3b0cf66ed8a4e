// The seam between transport and the handler, apart from the message types so the parsers (and their fuzz
// builds, which compile HTTPMessage.swift alone) need nothing of TLS.

/// What the transport knows about the request beyond its bytes.
public struct RequestContext: Sendable {
    /// Monotonic deadline (`DispatchTime.now().uptimeNanoseconds` scale) by which the answer must leave:
    /// the server's own request timeout, shortened by the API server's `?timeout=` when present.
    public var deadlineNanos: UInt64
    /// The peer's address as `ip:port`, for logs and for recording who called without a certificate.
    public var remoteAddress: String
    /// The client certificate the handshake verified, when mTLS is on and the client sent one.
    public var clientCertificate: ClientCertificate?
    /// True once SIGTERM was received: the server still answers during its shutdown delay, but readiness should
    /// say no, so the endpoint is taken out of the Service before the listener closes.
    public var serverIsShuttingDown: Bool

    public init(
        deadlineNanos: UInt64, remoteAddress: String, clientCertificate: ClientCertificate? = nil,
        serverIsShuttingDown: Bool = false
    ) {
        self.deadlineNanos = deadlineNanos
        self.remoteAddress = remoteAddress
        self.clientCertificate = clientCertificate
        self.serverIsShuttingDown = serverIsShuttingDown
    }
}

/// The one seam between transport and everything above it.
///
/// Called on a thread of the server's handler pool, never on an I/O thread, so a handler may block (a durable
/// audit write, a registry round trip) without holding up other connections; a handler that can tell which of
/// its requests would block answers the others on the I/O thread as an `InlineHTTPHandler`. It must not throw:
/// every outcome, including bad input, is an `HTTPResponse`.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest, context: RequestContext) -> HTTPResponse
}
