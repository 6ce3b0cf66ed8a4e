/// Appends compact JSON to a byte buffer. Strings are escaped per RFC 8259 (quote, backslash and every
/// control character), so a container name or message can never break out of its string.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init() {
        bytes.reserveCapacity(512)
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes `"name":`; the value written next completes the member.
    public mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func member(_ name: String, string value: String) {
        key(name)
        string(value)
    }

    public mutating func bool(_ value: Bool) {
        separate()
        append(value ? "true" : "false")
        needsComma = true
    }

    public mutating func int(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    public mutating func null() {
        separate()
        append("null")
        needsComma = true
    }

    /// A finite number (the caller checks `isFinite`: JSON has no NaN or infinity).
    public mutating func number(_ value: Double) {
        separate()
        bytes.append(contentsOf: (value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)").utf8)
        needsComma = true
    }

    public mutating func string(_ value: String) {
        separate()
        Self.appendQuoted(value, to: &bytes)
        needsComma = true
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// Appends `value` as a JSON string: quote, backslash and every control byte (and DEL) escaped, so
    /// no value can end its string early or put a raw newline into a one-line-per-record format.
    public static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            guard let base = utf8.baseAddress else { return }
            // Runs of plain bytes are copied in one go, found eight bytes a step (most strings need no escape).
            var runStart = 0
            var index = 0
            while index < utf8.count {
                if index + 8 <= utf8.count {
                    let mask = escapeMask(ByteLanes.load(base, index))
                    guard mask != 0 else {
                        index += 8
                        continue
                    }
                    index += mask.trailingZeroBitCount >> 3
                } else if escapeMask(UInt64(utf8[index])) & 0x80 == 0 {  // the byte alone: only its lane counts
                    index += 1
                    continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                appendEscape(utf8[index], to: &bytes)
                index += 1
                runStart = index
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The bytes of `word` that a JSON string must escape: quote, backslash, control characters and DEL.
    @inline(__always)
    private static func escapeMask(_ word: UInt64) -> UInt64 {
        ByteLanes.equal(word, UInt8(ascii: "\"")) | ByteLanes.equal(word, UInt8(ascii: "\\"))
            | ByteLanes.below(word, 0x20)
            | ByteLanes.equal(word, 0x7F)
    }

    private static func appendEscape(_ unit: UInt8, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\\"))
        switch unit {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(unit)
        case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "t"))
        default:
            bytes.append(contentsOf: "u00".utf8)
            bytes.append(hexDigits.utf8Start[Int(unit >> 4)])
            bytes.append(hexDigits.utf8Start[Int(unit & 0x0f)])
        }
    }

    private mutating func append(_ literal: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }
}
