/// Where an outgoing request goes: scheme, host and port. Connections are pooled per endpoint.
public struct HTTPEndpoint: Hashable, Sendable, CustomStringConvertible {
    public let useTLS: Bool
    public let host: String
    public let port: Int

    public init(useTLS: Bool, host: String, port: Int? = nil) {
        self.useTLS = useTLS
        self.host = host
        self.port = port ?? (useTLS ? 443 : 80)
    }

    /// `registry.internal:5000` style authority, with the port only when it is not the scheme's default.
    public var authority: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return port == (useTLS ? 443 : 80) ? bracketed : "\(bracketed):\(port)"
    }

    public var description: String { (useTLS ? "https://" : "http://") + authority }
}

/// One outgoing HTTP/1.1 request.
public struct HTTPClientRequest: Sendable {
    public var method: String
    /// Path and query, e.g. `/v2/ml/trainer/manifests/sha256:…`.
    public var target: String
    public var headers: HTTPHeaders

    public init(method: String = "GET", target: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.method = method
        self.target = target
        self.headers = headers
    }
}

/// One response, body fully read and bounded.
public struct HTTPClientResponse: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: [UInt8]

    public init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Why a request got no usable response, with the endpoint, so a denial can say which registry failed and how.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case connect = "cannot connect"
        case tls = "TLS failure"
        case timeout = "timed out"
        case protocolViolation = "malformed response"
        case tooLarge = "response too large"
    }

    public let kind: Kind
    public let endpoint: String
    public let detail: String

    public init(_ kind: Kind, endpoint: String, _ detail: String) {
        self.kind = kind
        self.endpoint = endpoint
        self.detail = detail
    }

    public var description: String { "\(endpoint): \(kind.rawValue): \(detail)" }
}
