import COpenSSL

/// Verifies that a certificate chains to a trust anchor *as of a given time*, with OpenSSL's own path building.
///
/// Sigstore leaf certificates live ten minutes, so at admission time they are always expired; what matters is
/// that the chain was valid when the transparency log recorded the signature. The time is therefore an input,
/// never the clock.
public enum X509Chain {
    /// Why a chain did not verify, with OpenSSL's verdict for the certificate that failed.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Checks `leaf` against `roots` (trusted as anchors), using `intermediates` as untrusted path material, with
    /// every validity period evaluated at `time` (UNIX seconds).
    public static func verify(
        leaf: Certificate, intermediates: [Certificate], roots: [Certificate], at time: Int
    ) -> Result<Void, Failure> {
        guard let store = X509_STORE_new() else {
            return .failure(Failure(message: OpenSSLError("allocating an X509_STORE").description))
        }
        defer { X509_STORE_free(store) }
        for root in roots where X509_STORE_add_cert(store, root.pointer) != 1 {
            return .failure(Failure(message: OpenSSLError("adding trust anchor \(root.subject)").description))
        }
        guard let untrusted = OPENSSL_sk_new_null() else {
            return .failure(Failure(message: "allocating a certificate stack"))
        }
        // The stack borrows the pointers; `withExtendedLifetime` below keeps their owners alive until verification ends.
        defer { OPENSSL_sk_free(untrusted) }
        for certificate in intermediates {
            _ = OPENSSL_sk_push(untrusted, UnsafeRawPointer(certificate.pointer))
        }
        guard let context = X509_STORE_CTX_new() else {
            return .failure(Failure(message: "allocating an X509_STORE_CTX"))
        }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, leaf.pointer, untrusted) == 1 else {
            return .failure(Failure(message: OpenSSLError("preparing chain verification").description))
        }
        X509_STORE_CTX_set_time(context, 0, time_t(time))
        let verified = withExtendedLifetime(intermediates) { X509_verify_cert(context) }
        guard verified == 1 else {
            let code = X509_STORE_CTX_get_error(context)
            let depth = X509_STORE_CTX_get_error_depth(context)
            let culprit = X509_STORE_CTX_get_current_cert(context).map {
                Certificate.rfc2253(X509_get_subject_name($0))
            }
            OpenSSLError.drain()
            let reason = String(cString: X509_verify_cert_error_string(Int(code)))
            let named = culprit.map { $0.isEmpty ? "the leaf (empty subject)" : $0 } ?? "?"
            return .failure(
                Failure(message: "\(reason) at depth \(depth) (\(named)) as of \(Certificate.iso8601(time))"))
        }
        return .success(())
    }
}
