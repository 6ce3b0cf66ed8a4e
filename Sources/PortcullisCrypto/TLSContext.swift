import COpenSSL
import CShims

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TLS configuration problem that is not an OpenSSL failure: an expired certificate, say.
public struct TLSConfigurationError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// A server-side TLS configuration (an `SSL_CTX`): certificate, key, protocol policy, optional client CA.
///
/// Immutable once built. Certificate rotation builds a new one and swaps it in for new handshakes;
/// sessions already open keep a reference to the context they started with.
///
/// Policy, and why:
/// - TLS 1.2 and 1.3 only. TLS 1.2 is limited to ECDHE key exchange with AEAD ciphers (AES-GCM,
///   ChaCha20-Poly1305); TLS 1.3 suites are all AEAD.
/// - ALPN selects `http/1.1`; a client that offers only other protocols (h2) is refused with the
///   `no_application_protocol` alert, since it could not speak to us anyway. No ALPN at all is accepted.
/// - No renegotiation, no compression.
/// - No session resumption: tickets are off (TLS 1.2 and 1.3) and the server cache is off. The API server
///   keeps connections alive, so resumption saves little, and without tickets there is no long-lived
///   ticket key whose theft would expose past sessions.
///
/// `@unchecked Sendable`: after `init` the `SSL_CTX` is only read (by `SSL_new`), which OpenSSL 3
/// documents as safe from several threads.
public final class TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer
    /// The leaf certificate being served.
    public let certificate: Certificate

    /// TLS 1.2 suites: ECDHE only, AEAD only, strongest first.
    static let tls12Ciphers = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")
    static let tls13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
    /// For log lines.
    public static let protocolVersions = "TLSv1.2,TLSv1.3"

    /// Loads and checks a certificate chain and key. Throws when either cannot be read, when they do not
    /// match, or when the leaf certificate is not valid at `now` (UNIX seconds).
    ///
    /// With `clientCAPath`, clients are asked for a certificate and one that does not chain to the CA ends the
    /// handshake; `requireClientCertificate` also ends it for a client that sends none. Without that, such a
    /// client gets through the handshake unauthenticated, so the layer above can answer and record it.
    public init(
        certificatePath: String, privateKeyPath: String, clientCAPath: String? = nil,
        requireClientCertificate: Bool = true, now: Int = Int(time(nil))
    ) throws {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw OpenSSLError("creating a TLS context") }
        // From here on `ctx` is freed by a failing init through this guard, or owned by `self`.
        var owned = false
        defer { if !owned { SSL_CTX_free(ctx) } }

        guard portcullis_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1,
            portcullis_SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1
        else { throw OpenSSLError("limiting TLS to versions 1.2 and 1.3") }
        guard SSL_CTX_set_cipher_list(ctx, Self.tls12Ciphers) == 1,
            SSL_CTX_set_ciphersuites(ctx, Self.tls13Suites) == 1
        else { throw OpenSSLError("setting the TLS cipher suites") }
        portcullis_SSL_CTX_set_server_options(ctx)
        SSL_CTX_set_num_tickets(ctx, 0)
        portcullis_SSL_CTX_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_OFF))
        // Non-blocking sockets: a retried write may come from a moved Swift buffer; idle connections
        // give their read/write buffers back, which matters with hundreds of keep-alive connections.
        portcullis_SSL_CTX_set_mode(
            ctx, Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS))
        portcullis_SSL_CTX_select_http11_alpn(ctx)
        // Read what the socket has, not a record header and then its body: one read(2) per request, not two.
        // The connection always tries a read before waiting, so bytes read ahead are never left unnoticed.
        SSL_CTX_ctrl(ctx, SSL_CTRL_SET_READ_AHEAD, 1, nil)

        guard SSL_CTX_use_certificate_chain_file(ctx, certificatePath) == 1 else {
            throw OpenSSLError("loading the certificate chain from \(certificatePath)")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            let error = OpenSSLError("loading the private key from \(privateKeyPath)")
            // OpenSSL checks the key against the certificate while loading it; say so in plain words.
            if error.queue.contains(where: { $0.contains("key values mismatch") }) {
                throw TLSConfigurationError(
                    "the private key in \(privateKeyPath) does not match the certificate in \(certificatePath); "
                        + "give the key the certificate was issued for")
            }
            throw error
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw OpenSSLError(
                "the private key in \(privateKeyPath) does not match the certificate in \(certificatePath)")
        }
        guard let leaf = SSL_CTX_get0_certificate(ctx), X509_up_ref(leaf) == 1 else {
            throw OpenSSLError("reading the certificate loaded from \(certificatePath)")
        }
        let certificate = Certificate(owning: leaf)
        let validity = "(subject \(certificate.subject), serial \(certificate.serialNumber))"
        guard now <= certificate.notAfter else {
            throw TLSConfigurationError(
                "certificate \(certificatePath) expired at \(Certificate.iso8601(certificate.notAfter)) \(validity); "
                    + "issue a new one")
        }
        guard now >= certificate.notBefore else {
            throw TLSConfigurationError(
                "certificate \(certificatePath) is not valid before \(Certificate.iso8601(certificate.notBefore)) "
                    + "\(validity); check the clock or the certificate")
        }

        if let clientCAPath {
            guard SSL_CTX_load_verify_locations(ctx, clientCAPath, nil) == 1 else {
                throw OpenSSLError("loading the client CA bundle from \(clientCAPath)")
            }
            // Tells clients which CAs we accept, so one with several certificates picks the right one.
            guard let names = SSL_load_client_CA_file(clientCAPath) else {
                throw OpenSSLError("reading CA names from \(clientCAPath)")
            }
            SSL_CTX_set_client_CA_list(ctx, names)
            SSL_CTX_set_verify(
                ctx, SSL_VERIFY_PEER | (requireClientCertificate ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), nil)
        }

        self.pointer = ctx
        self.certificate = certificate
        owned = true
    }

    deinit { SSL_CTX_free(pointer) }
}
