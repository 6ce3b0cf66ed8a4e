import COpenSSL

/// SHA-256, the digest OCI content addresses and key fingerprints use.
///
/// Stand-in with the same one-shot API as the audit branch's streaming `SHA256`; replaced by it on merge.
public final class SHA256 {
    /// Lower-case hex SHA-256 of `bytes`.
    public static func hex(of bytes: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: 32)
        var size: UInt32 = 0
        precondition(EVP_Digest(bytes, bytes.count, &out, &size, EVP_sha256(), nil) == 1, "SHA-256 is always available")
        return out.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
