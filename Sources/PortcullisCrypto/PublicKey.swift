import COpenSSL

/// A signature-verification key loaded from PEM SubjectPublicKeyInfo, as `cosign generate-key-pair` and
/// `openssl pkey -pubout` write it.
///
/// The key decides its own hash: ECDSA P-256 signs SHA-256, P-384 signs SHA-384 (what cosign and the
/// sigstore libraries pair with each curve), RSA signs SHA-256 with PKCS#1 v1.5 padding (cosign never uses
/// PSS), and Ed25519 signs the message itself. Callers therefore never choose a digest, so a signature cannot
/// be checked under a weaker hash than the signer used.
///
/// `@unchecked Sendable`: the `EVP_PKEY` is never mutated after loading, and OpenSSL 3 allows concurrent
/// verification with one key as long as each call has its own `EVP_MD_CTX`, which `isValidSignature` does.
public final class PublicKey: @unchecked Sendable, CustomStringConvertible {
    /// The key types Portcullis accepts for image signatures.
    public enum Algorithm: String, Sendable {
        case ecdsaP256 = "ECDSA P-256"
        case ecdsaP384 = "ECDSA P-384"
        case rsa = "RSA"
        case ed25519 = "Ed25519"
    }

    private let key: OpaquePointer
    public let algorithm: Algorithm
    /// `sha256:` and the hex SHA-256 of the DER SubjectPublicKeyInfo: a stable name for the key that does not
    /// depend on PEM line wrapping, for audit records and messages.
    public let fingerprint: String
    /// Where the key came from (a file path), for messages.
    public let source: String

    /// Loads one PEM `PUBLIC KEY` block.
    public init(pem: [UInt8], source: String = "PEM data") throws(OpenSSLError) {
        let loaded = try PEMBuffer.withBIO(pem, source: source) { PEM_read_bio_PUBKEY($0, nil, nil, nil) }
        guard let loaded else { throw OpenSSLError("reading a PEM public key (SubjectPublicKeyInfo) from \(source)") }
        guard let algorithm = PublicKey.algorithm(of: loaded) else {
            let name = EVP_PKEY_get0_type_name(loaded).map { String(cString: $0) } ?? "unknown"
            EVP_PKEY_free(loaded)
            throw OpenSSLError(
                "\(source) holds a \(name) key; image signature keys must be ECDSA P-256/P-384, RSA (2048 bits or more) "
                    + "or Ed25519")
        }
        var der: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(loaded, &der)
        guard length > 0, let der else {
            EVP_PKEY_free(loaded)
            throw OpenSSLError("encoding the public key from \(source) as DER")
        }
        defer { CRYPTO_free(der, #fileID, #line) }
        self.key = loaded
        self.algorithm = algorithm
        self.fingerprint = "sha256:" + SHA256.hex(of: Array(UnsafeBufferPointer(start: der, count: Int(length))))
        self.source = source
    }

    deinit { EVP_PKEY_free(key) }

    public var description: String { "\(algorithm.rawValue) key \(fingerprint) (\(source))" }

    /// Whether `signature` (DER for ECDSA, raw for RSA and Ed25519) is this key's signature over `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        let digest: OpaquePointer? =
            switch algorithm {
            case .ecdsaP256, .rsa: EVP_sha256()
            case .ecdsaP384: EVP_sha384()
            case .ed25519: nil
            }
        return PublicKey.isValidSignature(signature, for: message, key: key, digest: digest)
    }

    /// The one EVP verification path in Portcullis (image signatures here, audit checkpoints in `Ed25519PublicKey`).
    /// `digest` is `nil` for Ed25519, which hashes internally.
    static func isValidSignature(_ signature: [UInt8], for message: [UInt8], key: OpaquePointer, digest: OpaquePointer?)
        -> Bool
    {
        guard !signature.isEmpty, let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        let ok =
            EVP_DigestVerifyInit(ctx, nil, digest, nil, key) == 1
            && EVP_DigestVerify(ctx, signature, signature.count, message, message.count) == 1
        // A rejected signature leaves an entry in this thread's error queue; it is an answer, not an error.
        OpenSSLError.drain()
        return ok
    }

    private static func algorithm(of key: OpaquePointer) -> Algorithm? {
        if EVP_PKEY_is_a(key, "ED25519") == 1 { return .ed25519 }
        if EVP_PKEY_is_a(key, "RSA") == 1 { return EVP_PKEY_get_bits(key) >= 2048 ? .rsa : nil }
        guard EVP_PKEY_is_a(key, "EC") == 1 else { return nil }
        var name = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1 else { return nil }
        switch String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) {
        case "prime256v1", "P-256": return .ecdsaP256
        case "secp384r1", "P-384": return .ecdsaP384
        default: return nil
        }
    }
}
