import JSONText

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A strict, bounded, pull-style JSON reader that decodes only the members Portcullis reads and skips
/// (while still fully validating) everything else.
///
/// Why not Foundation's `JSONDecoder`: on this machine it took 156 µs to decode the 11 KB sample pod
/// review (`examples/admission-review-pod.json`) into `Codable` structs, against a budget of 40 µs for decode
/// plus every check (see docs/PERFORMANCE.md). It also builds every string of `managedFields` and
/// annotations that no check reads. This reader takes a few microseconds for the same review.
///
/// Strictness, so that Portcullis and the API server can never read different documents from one body:
/// - RFC 8259 grammar only: no comments, no trailing commas, no leading zeros, no `NaN`, nothing after
///   the top-level value;
/// - strings must be valid UTF-8 (no overlong forms, no surrogates), control characters must be escaped,
///   `\u` escapes must form valid scalars (a lone surrogate is an error, never U+FFFD);
/// - bounded: at most ``maxDepth`` nested containers, ``maxBytes`` of input, ``maxNumberLength`` digits;
/// - keys are matched exactly (case-sensitive, after unescaping), and a key that repeats a member the
///   decoder reads is an error rather than "first wins" or "last wins".
///
/// The reader works on an unsafe buffer for speed; it is only ever created inside
/// `withUnsafeBufferPointer` by ``JSONReader/read(_:_:)`` and never escapes it.
struct JSONReader {
    static let maxDepth = 128
    static let maxBytes = 16 << 20
    static let maxNumberLength = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Runs `body` on a reader over `input`, then requires that nothing but whitespace follows the value.
    static func read<T>(
        _ input: [UInt8], _ body: (inout JSONReader) throws(AdmissionDecodingError) -> T
    ) throws(AdmissionDecodingError) -> T {
        guard input.count <= maxBytes else {
            throw AdmissionDecodingError("document is \(input.count) bytes; the limit is \(maxBytes)")
        }
        let result: Result<T, AdmissionDecodingError> = input.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            do throws(AdmissionDecodingError) {
                let value = try body(&reader)
                reader.skipWhitespace()
                guard reader.position == buffer.count else {
                    return .failure(reader.error("unexpected data after the JSON value"))
                }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The kinds of JSON value, for type-mismatch messages and optional members.
    enum ValueKind: String {
        case object = "an object"
        case array = "an array"
        case string = "a string"
        case number = "a number"
        case bool = "a boolean"
        case null = "null"
    }

    /// A copy of the input's bytes in `range` (positions already read).
    func bytes(_ range: Range<Int>) -> [UInt8] { Array(bytes[range]) }

    func error(_ problem: String) -> AdmissionDecodingError {
        AdmissionDecodingError(problem, offset: position)
    }

    mutating func skipWhitespace() {
        let bytes = self.bytes
        var position = self.position
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default:
                self.position = position
                return
            }
        }
        self.position = position
    }

    /// The kind of the next value, after skipping whitespace.
    mutating func peekKind() throws(AdmissionDecodingError) -> ValueKind {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw error("unexpected character \(Self.describe(bytes[position])), expected a value")
        }
    }

    private static func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private func mismatch(_ expected: ValueKind, found: ValueKind) -> AdmissionDecodingError {
        error("expected \(expected.rawValue), found \(found.rawValue)")
    }

    /// Consumes `null` and returns true if the next value is null; JSON from the API server uses null
    /// for absent optional members (`"creationTimestamp": null`).
    mutating func consumeNull() throws(AdmissionDecodingError) -> Bool {
        guard try peekKind() == .null else { return false }
        try expectLiteral("null")
        return true
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(AdmissionDecodingError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error("invalid literal") }
        let start = literal.utf8Start
        for index in 0..<count where bytes[position + index] != start[index] {
            throw error("invalid literal, expected \(literal)")
        }
        position += count
    }

    // MARK: Containers

    @inline(__always)
    private mutating func enter() throws(AdmissionDecodingError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) levels") }
    }

    /// Reads an object, calling `member` for each key with the reader positioned at the member's value;
    /// `member` must consume that value (read it or ``skipValue()``). Errors are prefixed with the key.
    mutating func readObject(
        _ member: (inout JSONReader, JSONKey) throws(AdmissionDecodingError) -> Void
    ) throws(AdmissionDecodingError) {
        let kind = try peekKind()
        guard kind == .object else { throw mismatch(.object, found: kind) }
        try enter()
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error("expected a quoted object key")
            }
            let key = try scanKey()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw error("expected ':' after object key")
            }
            position += 1
            do {
                try member(&self, key)
            } catch {
                throw error.under(key.string)
            }
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of input inside an object") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if bytes[position] == UInt8(ascii: "}") {
                position += 1
                depth -= 1
                return
            } else {
                throw error("expected ',' or '}' in an object")
            }
        }
    }

    /// Reads an object of which only member `name` matters: `body` reads its value unless it is null, a
    /// repeat of it is an error, everything else is skipped.
    mutating func readMember(
        _ name: StaticString, _ body: (inout JSONReader) throws(AdmissionDecodingError) -> Void
    ) throws(AdmissionDecodingError) {
        var seen = SeenMembers()
        try readObject { reader, key throws(AdmissionDecodingError) in
            guard name ~= key else { return try reader.skipValue() }
            if try reader.present(0, name, in: &seen) { try body(&reader) }
        }
    }

    /// Reads an array, calling `element` with the index for each element; errors are prefixed with `[i]`.
    mutating func readArray(
        _ element: (inout JSONReader, Int) throws(AdmissionDecodingError) -> Void
    ) throws(AdmissionDecodingError) {
        let kind = try peekKind()
        guard kind == .array else { throw mismatch(.array, found: kind) }
        try enter()
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return
        }
        var index = 0
        while true {
            do {
                try element(&self, index)
            } catch {
                throw error.under("[\(index)]")
            }
            index += 1
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of input inside an array") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if bytes[position] == UInt8(ascii: "]") {
                position += 1
                depth -= 1
                return
            } else {
                throw error("expected ',' or ']' in an array")
            }
        }
    }

    /// Validates and skips one value of any kind. Most of a review (managedFields, annotations, env, volumes)
    /// is skipped, so this is the decoder's hot path: one loop with an explicit state, a bit stack of open
    /// containers and the cursor in a local, instead of a call per token. Plain strings, literals and the
    /// separators are handled inline; escapes, non-ASCII and numbers go through the same validating scanners
    /// as read values, so a skipped value is held to exactly the same grammar.
    mutating func skipValue() throws(AdmissionDecodingError) {
        guard let base = bytes.baseAddress else { throw error("unexpected end of input, expected a value") }
        let end = bytes.count
        var at = position
        defer { position = at }
        /// The error at the cursor (the reader's position is where every message points).
        func failure(_ problem: String) -> AdmissionDecodingError {
            AdmissionDecodingError(problem, offset: at)
        }
        func skipWhitespace() {
            while at < end, base[at] <= 0x20,
                base[at] == 0x20 || base[at] == 0x0A || base[at] == 0x0D || base[at] == 0x09
            {
                at += 1
            }
        }
        enum Expect { case value, valueOrClose, key, keyOrClose }
        var expect = Expect.value
        var nesting = 0
        // Bit i set: the (i+1)-th container opened here is an object. maxDepth is 128, so two words hold it.
        var objects: (UInt64, UInt64) = (0, 0)
        func isObject(_ level: Int) -> Bool {
            level < 64 ? objects.0 >> UInt64(level) & 1 == 1 : objects.1 >> UInt64(level - 64) & 1 == 1
        }
        while true {
            skipWhitespace()
            guard at < end else { throw failure("unexpected end of input") }
            let byte = base[at]
            var valueEnded = false
            switch expect {
            case .value, .valueOrClose:
                switch byte {
                case UInt8(ascii: "\""):
                    if let next = Self.skippedStringEnd(base, end, quote: at) {
                        at = next
                    } else {
                        try scanString(at: &at)
                    }
                    valueEnded = true
                case UInt8(ascii: "]") where expect == .valueOrClose:
                    at += 1
                    nesting -= 1
                    valueEnded = true
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard depth + nesting < Self.maxDepth else {
                        throw failure("nesting deeper than \(Self.maxDepth) levels")
                    }
                    let object = byte == UInt8(ascii: "{")
                    // An empty container in one step: managedFields is mostly `"f:name":{}`.
                    if at + 1 < end, base[at + 1] == byte &+ 2 {
                        at += 2
                        valueEnded = true
                        break
                    }
                    let bit: UInt64 = 1 << UInt64(nesting & 63)
                    if nesting < 64 {
                        objects.0 = object ? objects.0 | bit : objects.0 & ~bit
                    } else {
                        objects.1 = object ? objects.1 | bit : objects.1 & ~bit
                    }
                    nesting += 1
                    at += 1
                    expect = object ? .keyOrClose : .valueOrClose
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    position = at
                    switch byte {
                    case UInt8(ascii: "t"): try expectLiteral("true")
                    case UInt8(ascii: "f"): try expectLiteral("false")
                    default: try expectLiteral("null")
                    }
                    at = position
                    valueEnded = true
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    position = at
                    _ = try scanNumber()
                    at = position
                    valueEnded = true
                default:
                    throw failure("unexpected character \(Self.describe(byte)), expected a value")
                }
            case .key, .keyOrClose:
                if byte == UInt8(ascii: "\"") {
                    // The members of one object in a loop of their own: each key, its colon and the commonest
                    // values (a string, or an empty object: most of managedFields is `"f:name":{}`) in one step,
                    // and on to the next key while a comma and a quote follow. Anything else leaves the loop in
                    // the state the general path would be in, so it takes it from there with the same errors.
                    while true {
                        if let next = Self.skippedStringEnd(base, end, quote: at) {
                            at = next
                        } else {
                            try scanString(at: &at)
                        }
                        skipWhitespace()
                        guard at < end, base[at] == UInt8(ascii: ":") else {
                            throw failure("expected ':' after object key")
                        }
                        at += 1
                        skipWhitespace()
                        expect = .value
                        guard at + 1 < end else { break }
                        if base[at] == UInt8(ascii: "\"") {
                            if let next = Self.skippedStringEnd(base, end, quote: at) {
                                at = next
                            } else {
                                try scanString(at: &at)
                            }
                        } else if base[at] == UInt8(ascii: "{"), base[at + 1] == UInt8(ascii: "}") {
                            guard depth + nesting < Self.maxDepth else {
                                throw failure("nesting deeper than \(Self.maxDepth) levels")
                            }
                            at += 2
                        } else {
                            break
                        }
                        skipWhitespace()
                        guard at < end, base[at] == UInt8(ascii: ",") else {
                            valueEnded = true
                            break
                        }
                        at += 1
                        skipWhitespace()
                        expect = .key
                        guard at < end, base[at] == UInt8(ascii: "\"") else { break }
                    }
                } else if byte == UInt8(ascii: "}") && expect == .keyOrClose {
                    at += 1
                    nesting -= 1
                    valueEnded = true
                } else {
                    throw failure("expected a quoted object key")
                }
            }
            // A value ended: take the separators that follow (closing as many containers as they close).
            while valueEnded {
                if nesting == 0 { return }
                skipWhitespace()
                guard at < end else { throw failure("unexpected end of input") }
                let object = isObject(nesting - 1)
                let separator = base[at]
                if separator == UInt8(ascii: ",") {
                    at += 1
                    expect = object ? .key : .value
                    valueEnded = false
                } else if separator == (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    at += 1
                    nesting -= 1
                } else {
                    throw failure(object ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array")
                }
            }
        }
    }

    /// ``scanString()`` from a cursor held outside the reader: ``skipValue()``'s slow path for the strings
    /// ``skippedStringEnd(_:_:quote:)`` leaves to it, kept out of line so the skip loop stays small.
    @inline(never)
    private mutating func scanString(at cursor: inout Int) throws(AdmissionDecodingError) {
        position = cursor
        _ = try scanString()
        cursor = position
    }

    // MARK: Scalars

    mutating func readString() throws(AdmissionDecodingError) -> String {
        let kind = try peekKind()
        guard kind == .string else { throw mismatch(.string, found: kind) }
        return try scanString().string(in: bytes)
    }

    mutating func readBool() throws(AdmissionDecodingError) -> Bool {
        let kind = try peekKind()
        guard kind == .bool else { throw mismatch(.bool, found: kind) }
        if bytes[position] == UInt8(ascii: "t") {
            try expectLiteral("true")
            return true
        }
        try expectLiteral("false")
        return false
    }

    /// A string, or the source text of a number; used for resource quantities, which the API server
    /// sends as strings but hand-written manifests may give as numbers.
    mutating func readStringOrNumberText() throws(AdmissionDecodingError) -> String {
        let kind = try peekKind()
        switch kind {
        case .string: return try scanString().string(in: bytes)
        case .number:
            let range = try scanNumber()
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        default: throw error("expected a string or a number, found \(kind.rawValue)")
        }
    }

    /// A string-to-string map (nodeSelector); a repeated key is an error.
    mutating func readStringMap() throws(AdmissionDecodingError) -> [String: String] {
        var map: [String: String] = [:]
        if try consumeNull() { return map }
        try readObject { reader, key throws(AdmissionDecodingError) in
            let name = key.string
            guard map[name] == nil else { throw reader.error("duplicate key \"\(name)\"") }
            map[name] = try reader.readString()
        }
        return map
    }

    /// An array of strings, or empty for `null`.
    mutating func readStringArray() throws(AdmissionDecodingError) -> [String] {
        var values: [String] = []
        if try consumeNull() { return values }
        try readArray { reader, _ throws(AdmissionDecodingError) in values.append(try reader.readString()) }
        return values
    }

    private mutating func scanNumber() throws(AdmissionDecodingError) -> Range<Int> {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) { throw error("invalid number: leading zero") }
        } else {
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number: bare '.'") }
            skipDigits()
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number exponent") }
            skipDigits()
        }
        guard position - start <= Self.maxNumberLength else {
            throw AdmissionDecodingError(
                "number is \(position - start) characters long; the limit is \(Self.maxNumberLength)", offset: start)
        }
        return start..<position
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    private mutating func skipDigits() {
        while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    }

    private mutating func scanKey() throws(AdmissionDecodingError) -> JSONKey {
        let scanned = try scanString()
        return JSONKey(bytes: UnsafeBufferPointer(rebasing: bytes[scanned.range]), escaped: scanned.escaped)
    }

    /// Scans a string starting at the opening quote and validates it; returns the raw content range.
    @inline(__always)
    private mutating func scanString() throws(AdmissionDecodingError) -> ScannedString {
        position += 1
        let start = position
        var escaped = false
        let bytes = self.bytes
        while position < bytes.count {
            // Plain ASCII runs are the common case: eight bytes a step, landing exactly on the first byte that
            // needs attention (most strings are shorter than a word, so no byte-by-byte tail), then byte by
            // byte only in the last seven bytes of the input.
            var cursor = position
            if let base = bytes.baseAddress {
                while cursor + 8 <= bytes.count {
                    let mask = Self.attentionMask(ByteLanes.load(base, cursor))
                    if mask != 0 {
                        cursor += mask.trailingZeroBitCount >> 3
                        break
                    }
                    cursor += 8
                }
            }
            if cursor + 8 > bytes.count {
                while cursor < bytes.count, bytes[cursor] >= 0x20, bytes[cursor] < 0x80,
                    bytes[cursor] != UInt8(ascii: "\""),
                    bytes[cursor] != UInt8(ascii: "\\")
                {
                    cursor += 1
                }
            }
            position = cursor
            guard position < bytes.count else { break }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return ScannedString(range: start..<(position - 1), escaped: escaped)
            case UInt8(ascii: "\\"):
                escaped = true
                try scanEscape()
            case 0..<0x20:
                throw error("unescaped control character in a string")
            case 0x20..<0x80:
                position += 1
            default:
                try scanUTF8Sequence()
            }
        }
        throw AdmissionDecodingError("unterminated string", offset: start - 1)
    }

    /// The index after the closing quote of the string whose opening quote is at `quote`, when the string is
    /// printable ASCII with at most two-byte escapes (`\"`, `\\`, `\n`…: managedFields' `k:{\"name\":…}` keys and
    /// the last-applied annotation are full of them) and ends before the input's last word. Eight bytes a step,
    /// landing on each quote or backslash from the word's mask; nil (a `\u` escape, a control or non-ASCII
    /// byte, a bad escape, the last word) sends the caller to ``scanString()``, which validates it exactly.
    @inline(__always)
    private static func skippedStringEnd(_ base: UnsafePointer<UInt8>, _ end: Int, quote: Int) -> Int? {
        var cursor = quote + 1
        while cursor + 8 <= end {
            let mask = attentionMask(ByteLanes.load(base, cursor))
            guard mask != 0 else {
                cursor += 8
                continue
            }
            cursor += mask.trailingZeroBitCount >> 3
            switch base[cursor] {
            case UInt8(ascii: "\""): return cursor + 1
            case UInt8(ascii: "\\") where cursor + 1 < end && isShortEscape(base[cursor + 1]): cursor += 2
            default: return nil
            }
        }
        return nil
    }

    /// The escapes that are two bytes long (`\u` is six, and may need a surrogate pair).
    @inline(__always)
    private static func isShortEscape(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            true
        default: false
        }
    }

    /// The bytes of `word` that a string scan must stop at: a quote, a backslash, a control character or
    /// non-ASCII (see ``ByteLanes`` for which bits are exact).
    @inline(__always)
    private static func attentionMask(_ word: UInt64) -> UInt64 {
        ByteLanes.equal(word, UInt8(ascii: "\"")) | ByteLanes.equal(word, UInt8(ascii: "\\"))
            | ByteLanes.below(word, 0x20)
            | word & ByteLanes.highs
    }

    private mutating func scanEscape() throws(AdmissionDecodingError) {
        position += 1
        guard position < bytes.count else { throw error("unterminated escape") }
        switch bytes[position] {
        case let kind where Self.isShortEscape(kind):
            position += 1
        case UInt8(ascii: "u"):
            position += 1
            let unit = try scanHex4()
            if (0xD800..<0xDC00).contains(unit) {
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                else { throw error("lone UTF-16 surrogate in a \\u escape") }
                position += 2
                let low = try scanHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("invalid UTF-16 surrogate pair") }
            } else if (0xDC00..<0xE000).contains(unit) {
                throw error("lone UTF-16 surrogate in a \\u escape")
            }
        default:
            throw error("invalid escape sequence")
        }
    }

    private mutating func scanHex4() throws(AdmissionDecodingError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Self.hexValue(bytes[position]) else { throw error("invalid hex digit in \\u escape") }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
    private mutating func scanUTF8Sequence() throws(AdmissionDecodingError) {
        let lead = bytes[position]
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            upper = 0x9F
        case 0xF0:
            length = 4
            lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            upper = 0x8F
        default: throw error("invalid UTF-8")
        }
        guard position + length <= bytes.count else { throw error("truncated UTF-8 sequence") }
        let second = bytes[position + 1]
        guard second >= lower, second <= upper else { throw error("invalid UTF-8") }
        for index in 2..<length where bytes[position + index] & 0xC0 != 0x80 {
            throw error("invalid UTF-8")
        }
        position += length
    }
}

/// The raw extent of a validated string literal's content.
struct ScannedString {
    var range: Range<Int>
    var escaped: Bool

    func string(in bytes: UnsafeBufferPointer<UInt8>) -> String {
        let raw = UnsafeBufferPointer(rebasing: bytes[range])
        return escaped ? JSONKey.unescape(raw) : String(decoding: raw, as: UTF8.self)
    }
}

/// An object key as it appears in the input; compared against the member names a decoder knows
/// without allocating, and unescaped when it carries escapes (`"im\u0061ge"` is the key `image`).
struct JSONKey {
    let bytes: UnsafeBufferPointer<UInt8>
    let escaped: Bool

    var string: String { escaped ? Self.unescape(bytes) : String(decoding: bytes, as: UTF8.self) }

    @inline(__always)
    static func ~= (pattern: StaticString, key: JSONKey) -> Bool {
        let count = pattern.utf8CodeUnitCount
        guard !key.escaped else { return key.string == pattern.description }
        guard count == key.bytes.count, let base = key.bytes.baseAddress else { return false }
        return memcmp(base, pattern.utf8Start, count) == 0
    }

    /// Unescapes already-validated string content.
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        var utf8: [UInt8] = []
        var index = 0
        func flush() {
            if !utf8.isEmpty {
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll(keepingCapacity: true)
            }
        }
        func hex4(_ at: Int) -> UInt32 {
            (at..<at + 4).reduce(0) { $0 << 4 | UInt32(JSONReader.hexValue(raw[$1]) ?? 0) }
        }
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                index += 1
                continue
            }
            let kind = raw[index + 1]
            index += 2
            let simple: UInt8? =
                switch kind {
                case UInt8(ascii: "b"): 0x08
                case UInt8(ascii: "f"): 0x0C
                case UInt8(ascii: "n"): 0x0A
                case UInt8(ascii: "r"): 0x0D
                case UInt8(ascii: "t"): 0x09
                case UInt8(ascii: "u"): nil
                default: kind
                }
            if let simple {
                utf8.append(simple)
                continue
            }
            flush()
            var value = hex4(index)
            index += 4
            if (0xD800..<0xDC00).contains(value) {
                let low = hex4(index + 2)
                index += 6
                value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            }
            scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
        }
        flush()
        return String(scalars)
    }
}
