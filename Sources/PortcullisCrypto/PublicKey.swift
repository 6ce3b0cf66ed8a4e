import COpenSSL

/// A signature-verification key loaded from PEM SubjectPublicKeyInfo, as `cosign generate-key-pair` and
/// `openssl pkey -pubout` write it.
///
/// The key decides which hashes and paddings it accepts, following what cosign and the sigstore algorithm registry
/// make with it: ECDSA P-256 with SHA-256; P-384 and P-521 with SHA-256 (cosign pairs every ECDSA key it loads
/// with SHA-256, so that is what `cosign sign --key` makes) or with SHA-384 / SHA-512 (the registry's pairing, used
/// by sigstore-go and KMS signers); RSA with PKCS#1 v1.5 or PSS, both over SHA-256 only; Ed25519 over the message
/// itself. Callers never choose a digest, so a signature cannot be checked under a hash no sigstore signer uses
/// (SHA-1, or SHA-512 with RSA). Accepting two hashes for one key costs nothing in strength: each is at least
/// SHA-256, the level P-256 keys have anyway.
///
/// `@unchecked Sendable`: the `EVP_PKEY` is never mutated after loading, and OpenSSL 3 allows concurrent
/// verification with one key as long as each call has its own `EVP_MD_CTX`, which `isValidSignature` does.
public final class PublicKey: @unchecked Sendable, CustomStringConvertible {
    /// The key types Portcullis accepts for image signatures.
    public enum Algorithm: String, Sendable {
        case ecdsaP256 = "ECDSA P-256"
        case ecdsaP384 = "ECDSA P-384"
        case ecdsaP521 = "ECDSA P-521"
        case rsa = "RSA"
        case ed25519 = "Ed25519"
    }

    private let key: OpaquePointer
    public let algorithm: Algorithm
    /// `sha256:` and the hex SHA-256 of the DER SubjectPublicKeyInfo: a stable name for the key that does not
    /// depend on PEM line wrapping, for audit records and messages.
    public let fingerprint: String
    /// The DER SubjectPublicKeyInfo, from which transparency-log key IDs are derived.
    public let spki: [UInt8]
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
                "\(source) holds a \(name) key; image signature keys must be ECDSA P-256/P-384/P-521, RSA (2048 bits or more) "
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
        self.spki = Array(UnsafeBufferPointer(start: der, count: Int(length)))
        self.fingerprint = "sha256:" + SHA256.hex(of: spki)
        self.source = source
    }

    deinit { EVP_PKEY_free(key) }

    public var description: String { "\(algorithm.rawValue) key \(fingerprint) (\(source))" }

    /// One way a sigstore signer signs with a key: a digest and, for RSA, a padding.
    public struct Scheme: Sendable, Hashable, CustomStringConvertible {
        enum Digest: String, Sendable { case sha256 = "SHA-256", sha384 = "SHA-384", sha512 = "SHA-512" }
        enum Padding: Sendable { case none, pkcs1, pss }

        let algorithm: Algorithm
        let digest: Digest?
        let padding: Padding

        /// E.g. `ECDSA P-384 with SHA-256`, `RSA-PSS with SHA-256`, `Ed25519`: named in verification steps so a
        /// developer sees which variant their signer made.
        public var description: String {
            let name =
                switch padding {
                case .none: algorithm.rawValue
                case .pkcs1: "RSA PKCS#1 v1.5"
                case .pss: "RSA-PSS"
                }
            return digest.map { "\(name) with \($0.rawValue)" } ?? name
        }

        var evpDigest: OpaquePointer? {
            switch digest {
            case .sha256: EVP_sha256()
            case .sha384: EVP_sha384()
            case .sha512: EVP_sha512()
            case nil: nil
            }
        }
    }

    /// The schemes tried, most common first (cosign's own pairing), so the usual signature costs one verification.
    public var schemes: [Scheme] {
        switch algorithm {
        case .ecdsaP256: [Scheme(algorithm: algorithm, digest: .sha256, padding: .none)]
        case .ecdsaP384:
            [.sha256, .sha384].map { Scheme(algorithm: algorithm, digest: $0, padding: .none) }
        case .ecdsaP521:
            [.sha256, .sha512].map { Scheme(algorithm: algorithm, digest: $0, padding: .none) }
        case .rsa: [.pkcs1, .pss].map { Scheme(algorithm: algorithm, digest: .sha256, padding: $0) }
        case .ed25519: [Scheme(algorithm: algorithm, digest: nil, padding: .none)]
        }
    }

    /// Whether `signature` (DER for ECDSA, raw for RSA and Ed25519) is this key's signature over `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        scheme(verifying: signature, for: message) != nil
    }

    /// The scheme under which `signature` is this key's signature over `message`, or `nil` if under none.
    public func scheme(verifying signature: [UInt8], for message: [UInt8]) -> Scheme? {
        schemes.first { scheme in
            PublicKey.isValidSignature(
                signature, for: message, key: key, digest: scheme.evpDigest, pss: scheme.padding == .pss)
        }
    }

    /// The one EVP verification path in Portcullis (image signatures here, audit checkpoints in `Ed25519PublicKey`).
    /// `digest` is `nil` for Ed25519, which hashes internally.
    /// `pss` selects RSA-PSS with MGF1 over the same digest and a salt of any length (the signer chooses it; the
    /// sigstore signers use the digest length).
    static func isValidSignature(
        _ signature: [UInt8], for message: [UInt8], key: OpaquePointer, digest: OpaquePointer?, pss: Bool = false
    ) -> Bool {
        guard !signature.isEmpty, let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        // The EVP_PKEY_CTX belongs to `ctx` and is freed with it.
        var pkeyContext: OpaquePointer?
        let ok =
            EVP_DigestVerifyInit(ctx, &pkeyContext, digest, nil, key) == 1
            && (!pss
                || (EVP_PKEY_CTX_set_rsa_padding(pkeyContext, RSA_PKCS1_PSS_PADDING) == 1
                    && EVP_PKEY_CTX_set_rsa_pss_saltlen(pkeyContext, RSA_PSS_SALTLEN_AUTO) == 1))
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
        case "secp521r1", "P-521": return .ecdsaP521
        default: return nil
        }
    }
}
