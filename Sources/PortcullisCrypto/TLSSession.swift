import COpenSSL

/// What one non-blocking TLS operation did.
public enum TLSIOResult: Sendable {
    /// Finished; the number of bytes read or written (0 for a handshake).
    case done(Int)
    /// Wait until the socket is readable, then call again.
    case wantRead
    /// Wait until the socket is writable, then call again.
    case wantWrite
    /// The peer closed the connection (cleanly or not).
    case closed
    /// A protocol failure: bad handshake, refused client certificate, corrupt record.
    case failed(OpenSSLError)
}

/// One TLS session (an `SSL`) over a non-blocking socket the caller owns and polls: server side from a
/// `TLSContext`, client side from a `TLSClientContext`.
///
/// The caller waits for readiness itself (with its own deadlines), so a client that sends half a
/// record can never block a thread inside OpenSSL. Not `Sendable`: one connection thread uses it.
public final class TLSSession {
    private let pointer: OpaquePointer
    /// Keeps the context alive for as long as the session; a reload must not free it underneath us.
    private let context: AnyObject

    /// A server session that will accept a handshake.
    public convenience init(context: TLSContext, fileDescriptor: Int32) throws {
        try self.init(context: context.pointer, owner: context, fileDescriptor: fileDescriptor) {
            SSL_set_accept_state($0)
        }
    }

    /// A session on `context` (an `SSL_CTX` kept alive by `owner`); `configure` sets its role and peer checks.
    init(
        context: OpaquePointer, owner: AnyObject, fileDescriptor: Int32, configure: (OpaquePointer) throws -> Void
    ) throws {
        guard let ssl = SSL_new(context) else { throw OpenSSLError("creating a TLS session") }
        guard SSL_set_fd(ssl, fileDescriptor) == 1 else {
            SSL_free(ssl)
            throw OpenSSLError("attaching a TLS session to socket \(fileDescriptor)")
        }
        do { try configure(ssl) } catch {
            SSL_free(ssl)
            throw error
        }
        self.pointer = ssl
        self.context = owner
    }

    deinit { SSL_free(pointer) }

    /// Advances the handshake (server or client, as the session was made).
    public func handshake() -> TLSIOResult {
        outcome(SSL_do_handshake(pointer), done: 0, operation: "TLS handshake")
    }

    /// Reads decrypted bytes into `buffer`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSIOResult {
        var count = 0
        let rc = SSL_read_ex(pointer, buffer.baseAddress, buffer.count, &count)
        return outcome(rc, done: count, operation: "TLS read")
    }

    /// Writes some of `bytes`; `.done(n)` may be less than `bytes.count`.
    public func write(_ bytes: UnsafeRawBufferPointer) -> TLSIOResult {
        var count = 0
        let rc = SSL_write_ex(pointer, bytes.baseAddress, bytes.count, &count)
        return outcome(rc, done: count, operation: "TLS write")
    }

    /// Sends close_notify once, without waiting for the peer's; the socket is closed right after.
    public func shutdown() {
        _ = SSL_shutdown(pointer)
        OpenSSLError.drain()
    }

    /// The client's certificate, when it sent one and it verified against the context's client CA. A certificate
    /// that failed verification ends the handshake, so this is nil only for a client that sent none; checking the
    /// verify result as well keeps it true should a context ever be configured not to fail.
    public var verifiedPeerCertificate: Certificate? {
        guard let peer = SSL_get1_peer_certificate(pointer) else { return nil }
        let certificate = Certificate(owning: peer)
        return SSL_get_verify_result(pointer) == Int(X509_V_OK) ? certificate : nil
    }

    /// The negotiated ALPN protocol, if any.
    public var applicationProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(pointer, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The negotiated protocol version, e.g. `TLSv1.3`.
    public var protocolVersion: String { String(cString: SSL_get_version(pointer)) }

    private func outcome(_ rc: Int32, done: Int, operation: String) -> TLSIOResult {
        if rc == 1 { return .done(done) }
        switch SSL_get_error(pointer, rc) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN, SSL_ERROR_SYSCALL:
            OpenSSLError.drain()
            return .closed
        default:
            return .failed(OpenSSLError(operation))
        }
    }
}
