import COpenSSL
import CShims

/// A client-side TLS configuration (an `SSL_CTX`) for talking to container registries.
///
/// Peer verification is always on: the chain must lead to the given CA bundle (an internal registry's CA) or, with
/// none given, to the system's trust store, and each session checks the certificate names the host it dialled.
/// TLS 1.2+ only. There is deliberately no "skip verification" switch: a registry without a trusted certificate is
/// reached over plain HTTP only when an operator marks it insecure, which is visible in the policy.
///
/// `@unchecked Sendable`: after `init` the `SSL_CTX` is only read (by `SSL_new`), which OpenSSL 3 allows from
/// several threads.
public final class TLSClientContext: @unchecked Sendable {
    private let pointer: OpaquePointer
    /// The CA bundle file, or `nil` for the system trust store; for messages.
    public let caBundlePath: String?

    public init(caBundlePath: String? = nil) throws {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw OpenSSLError("creating a TLS client context") }
        var owned = false
        defer { if !owned { SSL_CTX_free(ctx) } }
        guard portcullis_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 else {
            throw OpenSSLError("limiting TLS to version 1.2 and later")
        }
        if let caBundlePath {
            guard SSL_CTX_load_verify_locations(ctx, caBundlePath, nil) == 1 else {
                throw OpenSSLError("loading the registry CA bundle \(caBundlePath)")
            }
        } else {
            guard SSL_CTX_set_default_verify_paths(ctx) == 1 else { throw OpenSSLError("loading the system CA store") }
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        portcullis_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE))
        owned = true
        self.pointer = ctx
        self.caBundlePath = caBundlePath
    }

    deinit { SSL_CTX_free(pointer) }

    /// A client session on `fileDescriptor` that sends SNI for `host` (unless it is an IP literal, which RFC 6066
    /// forbids) and accepts only a certificate naming `host`.
    public func session(fileDescriptor: Int32, host: String) throws -> TLSSession {
        try TLSSession(context: pointer, owner: self, fileDescriptor: fileDescriptor) { ssl in
            let isIPLiteral = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
            if isIPLiteral {
                guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 else {
                    throw OpenSSLError("setting the expected registry address \(host)")
                }
            } else {
                guard portcullis_SSL_set_tlsext_host_name(ssl, host) == 1, SSL_set1_host(ssl, host) == 1 else {
                    throw OpenSSLError("setting the expected registry host name \(host)")
                }
            }
            SSL_set_connect_state(ssl)
        }
    }
}
