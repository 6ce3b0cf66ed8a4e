#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Everything the server needs besides TLS material and the handler. Defaults suit a webhook behind the
/// Kubernetes API server: it sends small bodies fast, reuses up to 25 idle connections per host, closes
/// idle ones after 90 s and waits at most 30 s for an answer.
public struct HTTPServerConfiguration: Sendable {
    public var address: ListenAddress
    public var limits: HTTPParserLimits
    /// From connection accept to handshake done.
    public var handshakeTimeout: Duration
    /// From the first byte of a request (or the handshake, for a connection's first request) to the end of its head.
    public var headerTimeout: Duration
    /// From the end of the head to the end of the body; also bounds writing one response.
    public var bodyTimeout: Duration
    /// How long a keep-alive connection may sit between requests. Longer than the API server's 90 s, so
    /// the client, which knows whether it is about to send, is the one that closes.
    public var idleTimeout: Duration
    /// The handler's deadline (`RequestContext.deadlineNanos`), shortened by `?timeout=` when the client sends one.
    public var requestTimeout: Duration
    /// Connections serving requests at most: one over it is closed when it sends its first request, never
    /// queued. Connections that have not sent a request yet do not count; see `maxSilentConnections`.
    public var maxConnections: Int
    /// Connections that have not sent a complete request (idle sockets, handshakes, fresh TLS sessions) held at
    /// most, at a few kilobytes each; past it the oldest is shed for a newcomer whose ClientHello is waiting.
    /// Apart from `maxConnections` so that no number of silent clients can take a slot a real client needs.
    public var maxSilentConnections: Int
    /// Of `maxSilentConnections`, how many one source address may hold; past it a newcomer from that address sheds
    /// its own oldest (or is refused when it sent nothing), never another address's. Defaults to half the room
    /// (2 × `maxConnections`): one attacking host cannot fill it, and a burst of new connections from one real
    /// client (an API server after a restart), which the slots bound anyway, fits twice over.
    public var maxSilentConnectionsPerSource: Int
    /// Of `maxConnections`, how many one source address may hold; nil (the default) for no such cap. The API
    /// server reaches the webhook from one or a few addresses with many connections, so this suits only a
    /// webhook whose clients each have their own address.
    public var maxConnectionsPerSource: Int?
    /// Request bytes (unparsed input and bodies) all connections together may hold in memory. Without it,
    /// `maxConnections` clients each sending `maxBodyBytes` could exhaust memory; a request that would pass
    /// it is answered 503 and its connection closed.
    public var maxBufferedBytes: Int
    /// After SIGTERM, how long the server keeps accepting and answering (readiness saying no) before it closes
    /// the listener: endpoints controllers and kube-proxy take a moment to stop routing to a terminating pod,
    /// and connections refused meanwhile are failed webhook calls during every rollout.
    public var shutdownDelay: Duration
    /// How long in-flight requests get to finish after the listener closes before `run()` returns anyway.
    public var drainTimeout: Duration
    /// How often the certificate, key and client CA files are checked for changes.
    public var certificateReloadInterval: Duration
    /// Stack reserved per I/O and handler thread; it has to cover the handler's deepest call (JSON decoding).
    public var threadStackBytes: Int
    /// Threads that run the event loops (sockets, TLS, HTTP framing); one per core keeps every core busy
    /// without two loops contending for one.
    public var ioThreads: Int
    /// Handler threads at most: handlers that block (durable audit, registry round trips) each hold one, and
    /// requests beyond it wait their turn in arrival order.
    public var maxHandlerThreads: Int

    public init(
        address: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8443),
        limits: HTTPParserLimits = HTTPParserLimits(),
        handshakeTimeout: Duration = .seconds(10),
        headerTimeout: Duration = .seconds(10),
        bodyTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(120),
        requestTimeout: Duration = .seconds(30),
        maxConnections: Int = 1024,
        maxSilentConnections: Int? = nil,
        maxSilentConnectionsPerSource: Int? = nil,
        maxConnectionsPerSource: Int? = nil,
        maxBufferedBytes: Int = 256 * 1024 * 1024,
        shutdownDelay: Duration = .zero,
        drainTimeout: Duration = .seconds(20),
        certificateReloadInterval: Duration = .seconds(2),
        threadStackBytes: Int = 1024 * 1024,
        ioThreads: Int = HTTPServerConfiguration.onlineCores,
        maxHandlerThreads: Int = 64
    ) {
        self.address = address
        self.limits = limits
        self.handshakeTimeout = handshakeTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maxConnections = maxConnections
        let silentBound = maxSilentConnections ?? 4 * maxConnections
        self.maxSilentConnections = silentBound
        self.maxSilentConnectionsPerSource = maxSilentConnectionsPerSource ?? max(1, silentBound / 2)
        self.maxConnectionsPerSource = maxConnectionsPerSource
        self.maxBufferedBytes = maxBufferedBytes
        self.shutdownDelay = shutdownDelay
        self.drainTimeout = drainTimeout
        self.certificateReloadInterval = certificateReloadInterval
        self.threadStackBytes = threadStackBytes
        self.ioThreads = ioThreads
        self.maxHandlerThreads = maxHandlerThreads
    }

    /// Cores this process may run on now, at least 1 (`sysconf`, which follows CPU hot-plug).
    public static var onlineCores: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
