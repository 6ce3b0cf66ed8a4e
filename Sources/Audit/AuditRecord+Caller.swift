extension AuditRecord {
    /// How the caller of one decision authenticated, so the log tells a review the API server asked for from one
    /// anybody who could reach the port sent.
    ///
    /// `auth` is a string rather than an enum so a reader older than the writer still reads lines with a way of
    /// authenticating it does not know.
    public struct Caller: Sendable, Codable, Equatable {
        /// `certificate` (a client certificate verified against `--client-ca`) or `unauthenticated`.
        public var auth: String
        /// The peer's `ip:port` as the server saw it (with a certificate too: it shows which API server replica).
        public var peer: String
        /// The verified certificate's subject and issuer (RFC 2253) and `sha256:` fingerprint of its DER bytes.
        public var subject: String?
        public var issuer: String?
        public var fingerprint: String?

        public init(
            auth: String, peer: String, subject: String? = nil, issuer: String? = nil, fingerprint: String? = nil
        ) {
            self.auth = auth
            self.peer = peer
            self.subject = subject
            self.issuer = issuer
            self.fingerprint = fingerprint
        }

        public static func certificate(peer: String, subject: String, issuer: String, fingerprint: String) -> Caller {
            Caller(auth: "certificate", peer: peer, subject: subject, issuer: issuer, fingerprint: fingerprint)
        }

        public static func unauthenticated(peer: String) -> Caller {
            Caller(auth: "unauthenticated", peer: peer)
        }

        public var isAuthenticated: Bool { auth == "certificate" }
    }
}
