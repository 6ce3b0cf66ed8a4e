import PortcullisCrypto
import Synchronization

/// A small blocking HTTP/1.1 client with a keep-alive pool, for the registry client.
///
/// Blocking is fine here: the webhook handles each admission on a handler-pool thread, and every wait is
/// bounded by the caller's deadline. TLS uses the transport's `TLSSession` in client mode; plain HTTP is used only
/// for endpoints the caller built with `useTLS: false`.
public final class HTTPClient: Sendable {
    /// TLS settings per host (`registry.internal:5000`); hosts without an entry use `defaultTLS`.
    private let tlsByHost: [String: TLSClientContext]
    private let defaultTLS: TLSClientContext?
    private let idle = Mutex<[HTTPEndpoint: [IdleConnection]]>([:])
    private let maxIdlePerEndpoint: Int

    /// `@unchecked Sendable`: a pooled connection is owned by exactly one thread at a time, handed over through the
    /// pool's mutex.
    private struct IdleConnection: @unchecked Sendable {
        let connection: HTTPClientConnection
    }

    /// - Parameters:
    ///   - tlsByHost: a context per `host[:port]` (for per-registry CA bundles).
    ///   - defaultTLS: for other hosts; `nil` means the system trust store, created on first use.
    public init(
        tlsByHost: [String: TLSClientContext] = [:], defaultTLS: TLSClientContext? = nil, maxIdlePerEndpoint: Int = 4
    ) {
        self.tlsByHost = tlsByHost
        self.defaultTLS = defaultTLS
        self.maxIdlePerEndpoint = maxIdlePerEndpoint
    }

    /// Sends `request` to `endpoint` and reads the response, all before `deadlineNanos` (monotonic clock).
    /// A pooled connection that turns out closed is replaced once, since registry reads are idempotent.
    public func send(
        _ request: HTTPClientRequest, to endpoint: HTTPEndpoint, maxBodyBytes: Int, deadlineNanos: UInt64
    ) throws(HTTPClientError) -> HTTPClientResponse {
        var head = "\(request.method) \(request.target) HTTP/1.1\r\nHost: \(endpoint.authority)\r\n"
        for (name, value) in request.headers { head += "\(name): \(value)\r\n" }
        if request.headers["User-Agent"] == nil { head += "User-Agent: portcullis\r\n" }
        let bytes = Array((head + "\r\n").utf8)
        for attempt in 0..<2 {
            let pooled = attempt == 0 ? takeIdle(endpoint) : nil
            let connection: HTTPClientConnection
            if let pooled {
                connection = pooled
            } else {
                connection = try HTTPClientConnection.open(
                    endpoint, tls: try tls(for: endpoint), deadline: deadlineNanos)
            }
            guard try connection.write(bytes, deadline: deadlineNanos),
                let (response, reusable) = try connection.readResponse(
                    maxBodyBytes: maxBodyBytes, isHead: request.method == "HEAD", deadline: deadlineNanos)
            else {
                if pooled != nil { continue }
                throw HTTPClientError(
                    .protocolViolation, endpoint: endpoint.description, "the connection closed before a response")
            }
            if reusable { putIdle(connection) }
            return response
        }
        throw HTTPClientError(
            .protocolViolation, endpoint: endpoint.description, "the connection closed before a response")
    }

    private func tls(for endpoint: HTTPEndpoint) throws(HTTPClientError) -> TLSClientContext? {
        guard endpoint.useTLS else { return nil }
        if let context = tlsByHost[endpoint.authority] ?? tlsByHost[endpoint.host] ?? defaultTLS { return context }
        do { return try TLSClientContext() } catch {
            throw HTTPClientError(.tls, endpoint: endpoint.description, "loading the system trust store: \(error)")
        }
    }

    private func takeIdle(_ endpoint: HTTPEndpoint) -> HTTPClientConnection? {
        idle.withLock { pool in pool[endpoint]?.popLast()?.connection }
    }

    private func putIdle(_ connection: HTTPClientConnection) {
        idle.withLock { pool in
            var list = pool[connection.endpoint] ?? []
            if list.count < maxIdlePerEndpoint { list.append(IdleConnection(connection: connection)) }
            pool[connection.endpoint] = list
        }
    }
}
