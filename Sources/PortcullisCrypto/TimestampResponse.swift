import COpenSSL
import CShims

#if canImport(Glibc)
    import Glibc
#endif

/// An RFC 3161 time-stamp response (`TimeStampResp`, as sigstore bundles carry in
/// `timestampVerificationData.rfc3161Timestamps[].signedTimestamp`): a time-stamping authority's signed statement
/// that it saw a hash of some data at a time.
///
/// Sigstore uses it as proof of *when* an artifact was signed, in place of a Rekor v1 SignedEntryTimestamp, so the
/// time is read before verification and the authority's chain is then checked as of that time (a TSA certificate
/// may since have expired, as a Fulcio leaf always has).
///
/// `@unchecked Sendable`: the `TS_RESP` is never mutated after parsing; each verification builds its own
/// `TS_VERIFY_CTX`.
public final class TimestampResponse: @unchecked Sendable {
    private let response: OpaquePointer
    /// The token's `genTime`, UNIX seconds.
    public let time: Int
    /// Where the response came from, for messages.
    public let source: String

    /// Why a response is unusable or does not verify, with OpenSSL's own words.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public init(der: [UInt8], source: String) throws(Failure) {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_TS_RESP(nil, &cursor, buffer.count)
        }
        guard let parsed else {
            throw Failure(message: OpenSSLError("\(source) is not a DER RFC 3161 TimeStampResp").description)
        }
        guard let info = TS_RESP_get_tst_info(parsed), let generated = TS_TST_INFO_get_time(info) else {
            TS_RESP_free(parsed)
            OpenSSLError.drain()
            throw Failure(message: "\(source) has no time-stamp token (the TSA did not grant the request)")
        }
        self.time = Certificate.epochSeconds(generated)
        self.response = parsed
        self.source = source
    }

    deinit { TS_RESP_free(response) }

    /// Checks the token's signature, that its message imprint is the SHA-256 (or whichever hash it names) of
    /// `data`, and that the signer chains to one of `roots` through the token's certificates and `intermediates`
    /// as of the token's own time, with the time-stamping extended key usage.
    public func verify(data: [UInt8], roots: [Certificate], intermediates: [Certificate] = []) -> Result<Void, Failure>
    {
        guard let context = TS_VERIFY_CTX_new() else { return .failure(Failure(message: "allocating a TS_VERIFY_CTX")) }
        // The context owns what is handed to it below (data BIO, store, certificate stack) and frees it.
        defer { TS_VERIFY_CTX_free(context) }
        guard let store = X509_STORE_new() else { return .failure(Failure(message: "allocating an X509_STORE")) }
        TS_VERIFY_CTX_set_store(context, store)
        for root in roots where X509_STORE_add_cert(store, root.pointer) != 1 {
            return .failure(Failure(message: OpenSSLError("adding TSA root \(root.subject)").description))
        }
        X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), time_t(time))
        if !intermediates.isEmpty, let stack = OPENSSL_sk_new_null() {
            for certificate in intermediates {
                // The stack is freed with sk_X509_pop_free, which drops one reference per certificate.
                X509_up_ref(certificate.pointer)
                _ = OPENSSL_sk_push(stack, UnsafeRawPointer(certificate.pointer))
            }
            TS_VERIFY_CTX_set_certs(context, stack)
        }
        TS_VERIFY_CTX_set_flags(context, portcullis_ts_verify_flags())
        return data.withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else {
                return .failure(Failure(message: "allocating a buffer for the time-stamped data"))
            }
            TS_VERIFY_CTX_set_data(context, bio)
            guard TS_RESP_verify_response(context, response) == 1 else {
                let error = OpenSSLError("the RFC 3161 timestamp \(source) does not verify")
                return .failure(Failure(message: error.description))
            }
            return .success(())
        }
    }
}
