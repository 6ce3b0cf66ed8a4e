import COpenSSL
import CShims

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One X.509 certificate, with the few facts operators read in logs: subject, serial and validity.
///
/// `@unchecked Sendable`: the wrapped `X509` is never mutated after it is loaded, and OpenSSL 3
/// allows concurrent read-only use of one `X509` from several threads.
public final class Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes ownership of one reference to `pointer`.
    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { X509_free(pointer) }

    /// The first certificate in a PEM file (the leaf of a chain file).
    public convenience init(pemFile path: String) throws {
        guard let bio = BIO_new_file(path, "r") else { throw OpenSSLError("opening certificate \(path)") }
        defer { BIO_free(bio) }
        guard let x509 = PEM_read_bio_X509(bio, nil, nil, nil) else {
            throw OpenSSLError("reading a PEM certificate from \(path)")
        }
        self.init(owning: x509)
    }

    /// The subject as an RFC 2253 string, e.g. `CN=portcullis.portcullis.svc,O=Portcullis dev`.
    public var subject: String { Self.rfc2253(X509_get_subject_name(pointer)) }

    /// The issuer as an RFC 2253 string.
    public var issuer: String { Self.rfc2253(X509_get_issuer_name(pointer)) }

    /// The serial number in upper-case hex, as `openssl x509 -serial` prints it.
    public var serialNumber: String {
        guard let bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(pointer), nil) else {
            OpenSSLError.drain()
            return "?"
        }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else { return "?" }
        defer { CRYPTO_free(hex, #fileID, #line) }
        return String(cString: hex)
    }

    /// Start of validity, seconds since the UNIX epoch.
    public var notBefore: Int { Self.epochSeconds(X509_get0_notBefore(pointer)) }

    /// End of validity, seconds since the UNIX epoch.
    public var notAfter: Int { Self.epochSeconds(X509_get0_notAfter(pointer)) }

    /// Formats UNIX seconds as ISO 8601 UTC (`2027-11-29T02:05:00Z`) for log lines and errors.
    public static func iso8601(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ n: Int32, _ width: Int = 2) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec))Z"
    }

    static func rfc2253(_ name: OpaquePointer?) -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard X509_NAME_print_ex(bio, name, 0, portcullis_name_flags_rfc2253_utf8()) >= 0 else {
            OpenSSLError.drain()
            return ""
        }
        let length = Int(BIO_ctrl_pending(bio))
        var bytes = [UInt8](repeating: 0, count: length)
        let read = BIO_read(bio, &bytes, Int32(length))
        return String(decoding: bytes.prefix(max(0, Int(read))), as: UTF8.self)
    }

    static func epochSeconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else {
            OpenSSLError.drain()
            return 0
        }
        return Int(timegm(&parts))
    }
}
