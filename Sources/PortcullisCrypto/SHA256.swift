import COpenSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A SHA-256 digest held inline (four words), so hashing millions of audit lines allocates nothing.
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// The digest of zero bytes' worth of nothing: 32 zero bytes (the audit chain's genesis value).
    public static let zero = SHA256Digest(words: (0, 0, 0, 0))

    private init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    /// Wraps 32 raw bytes; `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        self = .zero
        withUnsafeMutableBytes(of: &words) { $0.copyBytes(from: bytes) }
    }

    /// Parses 64 lower- or upper-case hex digits.
    public init?(hex: some StringProtocol) {
        var raw = [UInt8]()
        raw.reserveCapacity(32)
        var high: UInt8?
        for unit in hex.utf8 {
            guard let nibble = Hex.value(of: unit) else { return nil }
            if let h = high {
                raw.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        guard high == nil, let digest = SHA256Digest(bytes: raw) else { return nil }
        self = digest
    }

    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lower-case hex, the form used in audit lines and by `sha256sum`.
    /// Written straight into the string's storage: every audit line spells several digests, and building
    /// them a digit at a time through an array cost more than hashing the line.
    public var hex: String {
        String(unsafeUninitializedCapacity: 64) { buffer in
            writeHex(into: UnsafeMutableRawBufferPointer(buffer))
            return 64
        }
    }

    public var description: String { hex }

    /// Writes the 64 lower-case hex digits into `out` (at least 64 bytes) without allocating, for
    /// comparing against hex stored in text millions of times.
    public func writeHex(into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= 64, "a SHA-256 hex digest needs 64 bytes")
        withUnsafeBytes { raw in
            for (index, byte) in raw.enumerated() {
                out[2 * index] = Hex.digit(byte >> 4)
                out[2 * index + 1] = Hex.digit(byte & 0x0f)
            }
        }
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    public static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    fileprivate static func filled(by body: (UnsafeMutablePointer<UInt8>) -> Void) -> SHA256Digest {
        var digest = SHA256Digest.zero
        Swift.withUnsafeMutableBytes(of: &digest.words) { body($0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        return digest
    }
}

/// Streaming SHA-256 through OpenSSL's EVP interface.
///
/// One instance keeps one `EVP_MD_CTX` and re-initialises it per message, because allocating a
/// context (and, in OpenSSL 3, implicitly fetching the algorithm) per line would dominate the cost
/// of verifying a large audit log. Not thread-safe: use one instance per thread.
public final class SHA256 {
    /// Fetched once: OpenSSL 3's explicit fetch avoids a provider lookup on every init.
    /// `EVP_MD` objects are immutable and documented as safe to share between threads.
    private nonisolated(unsafe) static let algorithm: OpaquePointer = {
        guard let md = EVP_MD_fetch(nil, "SHA256", nil) else {
            fatalError("OpenSSL has no SHA256 implementation: \(OpenSSLError("fetching SHA256"))")
        }
        return md
    }()

    private let context: OpaquePointer

    /// Starts a new message.
    public init() {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        context = ctx
        reset()
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Discards anything fed so far and starts a new message.
    public func reset() {
        // EVP_DigestInit_ex2 on a fetched SHA-256 only fails on memory exhaustion.
        precondition(EVP_DigestInit_ex2(context, SHA256.algorithm, nil) == 1, "\(OpenSSLError("SHA-256 init"))")
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(EVP_DigestUpdate(context, base, bytes.count) == 1, "\(OpenSSLError("SHA-256 update"))")
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds a single byte: the 0x00/0x01 domain-separation prefixes of RFC 6962 Merkle hashes.
    public func update(byte: UInt8) {
        withUnsafeBytes(of: byte) { update($0) }
    }

    public func update(_ digest: SHA256Digest) {
        digest.withUnsafeBytes { update($0) }
    }

    /// Returns the digest and starts a new message.
    public func finalize() -> SHA256Digest {
        let digest = SHA256Digest.filled { out in
            var length: UInt32 = 0
            precondition(
                EVP_DigestFinal_ex(context, out, &length) == 1 && length == 32, "\(OpenSSLError("SHA-256 final"))")
        }
        reset()
        return digest
    }

    /// Hashes one message with this instance's context.
    public func digest(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        update(bytes)
        return finalize()
    }

    /// One-shot digest.
    public static func hash(_ bytes: [UInt8]) -> SHA256Digest {
        let hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// One-shot digest in lower-case hex.
    public static func hex(of bytes: [UInt8]) -> String { hash(bytes).hex }

    /// Digest of a file, read in 1 MiB pieces so hashing a large file (the running binary, say) never
    /// holds it in memory. Nil when the file cannot be opened or read.
    public static func hash(fileAt path: String) -> SHA256Digest? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count == 0 { return hasher.finalize() }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }
}

/// Lower-case hex encoding, shared by digests and key IDs.
public enum Hex {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digit(byte >> 4))
            out.append(digit(byte & 0x0f))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The lower-case hex digit for a value 0…15.
    @inline(__always)
    static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? nibble + UInt8(ascii: "0") : nibble - 10 + UInt8(ascii: "a")
    }

    /// The value of one hex digit, or `nil`.
    public static func value(of unit: UInt8) -> UInt8? {
        switch unit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): unit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): unit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): unit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
