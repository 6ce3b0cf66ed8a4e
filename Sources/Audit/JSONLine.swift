import JSONText

/// Builds one JSON object as bytes, keys in the order they are added.
///
/// Audit lines are hashed byte for byte, so their encoding must be deterministic and stable
/// across releases; a hand-written builder guarantees the key order and escaping that
/// `JSONEncoder` leaves unspecified. Strings are escaped so a line never contains a raw newline.
struct JSONLine {
    private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var needsComma = false

    init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    mutating func key(_ name: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        appendString(value)
    }

    mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        field(name, value)
    }

    mutating func field(_ name: StaticString, _ value: UInt64) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func field(_ name: StaticString, _ values: [String]) {
        key(name)
        array(values) { line, value in line.appendString(value) }
    }

    mutating func field(_ name: StaticString, _ values: [UInt64]) {
        key(name)
        array(values) { line, value in line.bytes.append(contentsOf: String(value).utf8) }
    }

    /// An array of objects, each built by `build` into a nested `JSONLine`.
    mutating func field<T>(_ name: StaticString, objects: [T], _ build: (inout JSONLine, T) -> Void) {
        key(name)
        array(objects) { line, item in
            var nested = JSONLine(capacity: 64)
            build(&nested, item)
            line.bytes.append(contentsOf: nested.closed())
        }
    }

    /// A nested object.
    mutating func field(_ name: StaticString, object build: (inout JSONLine) -> Void) {
        key(name)
        var nested = JSONLine(capacity: 64)
        build(&nested)
        bytes.append(contentsOf: nested.closed())
    }

    /// Appends already-encoded members (`"a":1,"b":2`), as produced by `members()`.
    mutating func append(members: [UInt8]) {
        guard !members.isEmpty else { return }
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        bytes.append(contentsOf: members)
    }

    /// The members written so far without the braces, for splicing into another object.
    func members() -> [UInt8] { Array(bytes.dropFirst()) }

    /// The finished object.
    func closed() -> [UInt8] { bytes + [UInt8(ascii: "}")] }

    private mutating func array<T>(_ items: [T], _ element: (inout JSONLine, T) -> Void) {
        bytes.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            element(&self, item)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func appendString(_ value: String) {
        JSONWriter.appendQuoted(value, to: &bytes)
    }
}
