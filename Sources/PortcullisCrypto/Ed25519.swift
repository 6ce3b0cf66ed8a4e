import COpenSSL

#if canImport(Glibc)
    import Glibc
#endif

/// An Ed25519 private key (the audit log's checkpoint signing key), held as an OpenSSL `EVP_PKEY`.
///
/// `@unchecked Sendable`: the key is never mutated after loading, and OpenSSL 3 allows one
/// `EVP_PKEY` to be used for signing from several threads as long as each uses its own `EVP_MD_CTX`,
/// which `sign` does.
public final class Ed25519PrivateKey: @unchecked Sendable {
    fileprivate let key: OpaquePointer

    private init(owning key: OpaquePointer) { self.key = key }

    deinit { EVP_PKEY_free(key) }

    /// Loads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`), as `openssl genpkey -algorithm ed25519` writes.
    public init(pem: [UInt8], source: String = "PEM data") throws(OpenSSLError) {
        let loaded = try PEMBuffer.withBIO(pem, source: source) { bio in PEM_read_bio_PrivateKey(bio, nil, nil, nil) }
        guard let loaded else { throw OpenSSLError("reading an Ed25519 private key from \(source)") }
        guard EVP_PKEY_get_base_id(loaded) == EVP_PKEY_ED25519 else {
            EVP_PKEY_free(loaded)
            throw OpenSSLError("\(source) holds a private key that is not Ed25519")
        }
        key = loaded
    }

    /// Loads a PKCS#8 PEM private key from a file.
    public convenience init(pemFile path: String) throws(OpenSSLError) {
        try self.init(pem: try PEMBuffer.readFile(path), source: path)
    }

    /// A fresh key from OpenSSL's CSPRNG (for `portcullis audit keygen` and tests).
    public static func generate() throws(OpenSSLError) -> Ed25519PrivateKey {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "ED25519", nil) else {
            throw OpenSSLError("creating an Ed25519 key generator")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        var generated: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_generate(ctx, &generated) == 1, let generated else {
            throw OpenSSLError("generating an Ed25519 key")
        }
        return Ed25519PrivateKey(owning: generated)
    }

    /// The matching public key.
    public var publicKey: Ed25519PublicKey {
        var raw = [UInt8](repeating: 0, count: 32)
        var length = raw.count
        precondition(
            EVP_PKEY_get_raw_public_key(key, &raw, &length) == 1 && length == 32, "Ed25519 key has no public half")
        // The private key object can verify too: share it (up-referenced) instead of re-parsing the raw bytes.
        EVP_PKEY_up_ref(key)
        return Ed25519PublicKey(owning: key, raw: raw)
    }

    /// A detached 64-byte Ed25519 signature over `message` (PureEdDSA: no pre-hash).
    public func sign(_ message: [UInt8]) throws(OpenSSLError) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw OpenSSLError("allocating a signing context") }
        defer { EVP_MD_CTX_free(ctx) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = signature.count
        let ok = message.withUnsafeBufferPointer { msg in
            EVP_DigestSignInit(ctx, nil, nil, nil, key) == 1
                && EVP_DigestSign(ctx, &signature, &length, msg.baseAddress, msg.count) == 1
        }
        guard ok, length == 64 else { throw OpenSSLError("signing with Ed25519") }
        return signature
    }

    /// PKCS#8 PEM, for writing a dev key pair.
    public func pemPKCS8() throws(OpenSSLError) -> String {
        try PEMBuffer.write(source: "Ed25519 private key") { bio in
            PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil)
        }
    }
}

/// An Ed25519 public key: checks checkpoint signatures and names them with a C2SP key ID.
public final class Ed25519PublicKey: @unchecked Sendable {
    // @unchecked Sendable: immutable after init; verification uses a fresh EVP_MD_CTX per call.
    private let key: OpaquePointer
    /// The 32-byte raw key, as signed-note key IDs and verifier keys encode it.
    public let raw: [UInt8]

    fileprivate init(owning key: OpaquePointer, raw: [UInt8]) {
        self.key = key
        self.raw = raw
    }

    /// Wraps a raw 32-byte public key.
    public init(raw: [UInt8]) throws(OpenSSLError) {
        guard raw.count == 32, let loaded = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, raw, raw.count) else {
            throw OpenSSLError("an Ed25519 public key must be 32 bytes, got \(raw.count)")
        }
        key = loaded
        self.raw = raw
    }

    /// Loads an SPKI PEM public key (`-----BEGIN PUBLIC KEY-----`).
    public convenience init(pem: [UInt8], source: String = "PEM data") throws(OpenSSLError) {
        let loaded = try PEMBuffer.withBIO(pem, source: source) { bio in PEM_read_bio_PUBKEY(bio, nil, nil, nil) }
        guard let loaded else { throw OpenSSLError("reading an Ed25519 public key from \(source)") }
        defer { EVP_PKEY_free(loaded) }
        guard EVP_PKEY_get_base_id(loaded) == EVP_PKEY_ED25519 else {
            throw OpenSSLError("\(source) holds a public key that is not Ed25519")
        }
        var raw = [UInt8](repeating: 0, count: 32)
        var length = raw.count
        guard EVP_PKEY_get_raw_public_key(loaded, &raw, &length) == 1, length == 32 else {
            throw OpenSSLError("extracting the raw Ed25519 key from \(source)")
        }
        try self.init(raw: raw)
    }

    public convenience init(pemFile path: String) throws(OpenSSLError) {
        try self.init(pem: try PEMBuffer.readFile(path), source: path)
    }

    deinit { EVP_PKEY_free(key) }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64, let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        let ok =
            EVP_DigestVerifyInit(ctx, nil, nil, nil, key) == 1
            && EVP_DigestVerify(ctx, signature, signature.count, message, message.count) == 1
        // A failed verification leaves an entry in the thread's error queue; it is an answer, not an error.
        OpenSSLError.drain()
        return ok
    }

    /// SPKI PEM, the form reviewers are given.
    public func pemSPKI() throws(OpenSSLError) -> String {
        try PEMBuffer.write(source: "Ed25519 public key") { bio in PEM_write_bio_PUBKEY(bio, key) }
    }
}

/// Moves PEM text in and out of OpenSSL memory BIOs.
enum PEMBuffer {
    static func readFile(_ path: String) throws(OpenSSLError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw OpenSSLError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { bytes += chunk[0..<n] }
            if n < chunk.count { break }
            // Key files are small; anything this large is not a key.
            if bytes.count > 1 << 20 { throw OpenSSLError("\(path) is larger than 1 MiB; not a PEM key") }
        }
        return bytes
    }

    static func withBIO<R>(_ pem: [UInt8], source: String, _ body: (OpaquePointer) -> R) throws(OpenSSLError) -> R {
        let result: R? = pem.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
        guard let result else { throw OpenSSLError("allocating a buffer for \(source)") }
        return result
    }

    static func write(source: String, _ body: (OpaquePointer) -> Int32) throws(OpenSSLError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError("allocating a buffer for \(source)") }
        defer { BIO_free(bio) }
        guard body(bio) == 1 else { throw OpenSSLError("encoding \(source) as PEM") }
        var out = [UInt8](repeating: 0, count: Int(BIO_ctrl_pending(bio)))
        let n = BIO_read(bio, &out, Int32(out.count))
        return String(decoding: out.prefix(max(0, Int(n))), as: UTF8.self)
    }
}
