import COpenSSL

/// What a signing certificate says about its holder: the SAN identities, the public key, the extended key usage and
/// raw extension values by OID (how Fulcio records the OIDC issuer).
extension Certificate {
    /// Parses one DER certificate (the `rawBytes` of a sigstore bundle or trusted root).
    public convenience init(der: [UInt8], source: String = "DER data") throws(OpenSSLError) {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let parsed else { throw OpenSSLError("reading a DER certificate from \(source)") }
        self.init(owning: parsed)
    }

    /// Every certificate in PEM text, in file order (a leaf, or a chain from the leaf's issuer up to the root).
    public static func pemCertificates(_ pem: [UInt8], source: String = "PEM data") throws(OpenSSLError)
        -> [Certificate]
    {
        var result: [Certificate] = []
        try PEMBuffer.withBIO(pem, source: source) { bio in
            while let x509 = PEM_read_bio_X509(bio, nil, nil, nil) { result.append(Certificate(owning: x509)) }
        }
        // Reading stops with "no start line" at the end of the text; that is the normal end, not an error.
        OpenSSLError.drain()
        guard !result.isEmpty else { throw OpenSSLError("\(source) holds no PEM certificate") }
        return result
    }

    /// The DER encoding: what two certificates are compared by, since PEM wrapping may differ.
    public var der: [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_X509(pointer, &out)
        guard length > 0, let out else {
            OpenSSLError.drain()
            return []
        }
        defer { CRYPTO_free(out, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// `sha256:` and the hex SHA-256 of the DER certificate, a stable name for messages and audit.
    public var fingerprint: String { "sha256:" + SHA256.hex(of: der) }

    /// The subject public key, for verifying what the certificate's holder signed.
    public func publicKey() throws(OpenSSLError) -> PublicKey {
        guard let key = X509_get0_pubkey(pointer) else { throw OpenSSLError("reading the public key of \(subject)") }
        let pem = try PEMBuffer.write(source: "certificate public key") { bio in PEM_write_bio_PUBKEY(bio, key) }
        return try PublicKey(pem: Array(pem.utf8), source: "certificate \(serialNumber)")
    }

    /// The rfc822Name (e-mail) entries of the subjectAltName extension.
    public var emailAddresses: [String] { alternativeNames(type: GEN_EMAIL) }

    /// The uniformResourceIdentifier entries of the subjectAltName extension (e.g. a CI workflow URI).
    public var uris: [String] { alternativeNames(type: GEN_URI) }

    /// Whether the extended key usage extension is present and lists code signing, as Fulcio certificates must.
    public var allowsCodeSigning: Bool {
        X509_get_extension_flags(pointer) & UInt32(EXFLAG_XKUSAGE) != 0
            && X509_get_extended_key_usage(pointer) & UInt32(XKU_CODE_SIGN) != 0
    }

    /// The raw `extnValue` octets of the extension with dotted `oid`, or `nil` when absent.
    public func extensionValue(oid: String) -> [UInt8]? {
        guard let object = OBJ_txt2obj(oid, 1) else {
            OpenSSLError.drain()
            return nil
        }
        defer { ASN1_OBJECT_free(object) }
        let index = X509_get_ext_by_OBJ(pointer, object, -1)
        guard index >= 0, let ext = X509_get_ext(pointer, index), let data = X509_EXTENSION_get_data(ext) else {
            return nil
        }
        guard let bytes = ASN1_STRING_get0_data(data) else { return [] }
        return Array(UnsafeBufferPointer(start: bytes, count: Int(ASN1_STRING_length(data))))
    }

    private func alternativeNames(type: Int32) -> [String] {
        guard let raw = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else {
            OpenSSLError.drain()
            return []
        }
        let names = OpaquePointer(raw)
        defer { GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0..<OPENSSL_sk_num(names) {
            guard let entry = OPENSSL_sk_value(names, index)?.assumingMemoryBound(to: GENERAL_NAME.self),
                entry.pointee.type == type, let string = entry.pointee.d.ia5,
                let bytes = ASN1_STRING_get0_data(string)
            else { continue }
            result.append(
                String(
                    decoding: UnsafeBufferPointer(start: bytes, count: Int(ASN1_STRING_length(string))), as: UTF8.self))
        }
        return result
    }
}
