import PortcullisCrypto

/// The identity a client proved in the TLS handshake, as plain values: enough to record who called without
/// handing the layers above an OpenSSL object.
public struct ClientCertificate: Sendable, Equatable {
    /// Subject and issuer as RFC 2253 strings (`CN=kube-apiserver,O=…`), as `openssl x509 -nameopt RFC2253` prints.
    public var subject: String
    public var issuer: String
    /// `sha256:` and the hex SHA-256 of the DER certificate: what names this exact certificate.
    public var fingerprint: String

    public init(subject: String, issuer: String, fingerprint: String) {
        self.subject = subject
        self.issuer = issuer
        self.fingerprint = fingerprint
    }

    /// The facts of a verified certificate.
    public init(_ certificate: Certificate) {
        self.init(subject: certificate.subject, issuer: certificate.issuer, fingerprint: certificate.fingerprint)
    }
}
