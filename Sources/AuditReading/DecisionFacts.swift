import Audit
import Foundation

/// The members of a decision line the report aggregates, read straight from the line's bytes.
///
/// `JSONDecoder` costs tens of microseconds per line, which alone would take a million-line report
/// past its budget; this reader walks the bytes once, materialises only the members listed here and
/// skips the rest. It accepts any valid JSON object (member order and whitespace free), so a line
/// edited by hand is read like one the writer produced; anything malformed yields nil.
struct DecisionFacts {
    var time = ""
    var decision: AuditRecord.Decision = .error
    var mode = ""
    var dataClass: String?
    var namespace: String?
    var user = ""
    var reason: String?
    var rules: [AuditRecord.Rule] = []
    var exemptions: [AuditRecord.Exemption] = []
    var images: [AuditRecord.Image] = []
    var dryRun = false
    /// `caller.auth` and `caller.peer`; nil for lines written before callers were recorded.
    var callerAuth: String?
    var callerPeer: String?

    static func parse(_ line: UnsafeRawBufferPointer) -> DecisionFacts? {
        var facts = DecisionFacts()
        var reader = JSONBytes(line)
        var sawDecision = false
        let ok = reader.object { reader, key in
            switch key {
            case "time": facts.time = try reader.string()
            case "decision":
                guard let value = AuditRecord.Decision(rawValue: try reader.string()) else {
                    throw JSONBytes.Malformed()
                }
                facts.decision = value
                sawDecision = true
            case "mode": facts.mode = try reader.string()
            case "dataClass": facts.dataClass = try reader.string()
            case "namespace": facts.namespace = try reader.string()
            case "user": facts.user = try reader.string()
            case "reason": facts.reason = try reader.string()
            case "dryRun": facts.dryRun = try reader.bool()
            case "caller":
                try reader.objectThrowing { reader, key in
                    switch key {
                    case "auth": facts.callerAuth = try reader.string()
                    case "peer": facts.callerPeer = try reader.string()
                    default: try reader.skip()
                    }
                }
            case "rules":
                try reader.array { reader in
                    var rule = AuditRecord.Rule(id: "", message: "")
                    _ = try reader.objectThrowing { reader, key in
                        switch key {
                        case "id": rule.id = try reader.string()
                        case "message": rule.message = try reader.string()
                        default: try reader.skip()
                        }
                    }
                    facts.rules.append(rule)
                }
            case "exemptions":
                try reader.array { reader in
                    var exemption = AuditRecord.Exemption(reason: "")
                    _ = try reader.objectThrowing { reader, key in
                        switch key {
                        case "rule": exemption.rule = try reader.string()
                        case "reason": exemption.reason = try reader.string()
                        default: try reader.skip()
                        }
                    }
                    facts.exemptions.append(exemption)
                }
            case "images":
                try reader.array { reader in
                    var image = AuditRecord.Image(reference: "")
                    _ = try reader.objectThrowing { reader, key in
                        switch key {
                        case "reference": image.reference = try reader.string()
                        case "digest": image.digest = try reader.string()
                        case "authority": image.authority = try reader.string()
                        case "key": image.key = try reader.string()
                        case "subject": image.subject = try reader.string()
                        case "volume": image.volume = try reader.string()
                        default: try reader.skip()
                        }
                    }
                    facts.images.append(image)
                }
            default: try reader.skip()
            }
        }
        guard ok, sawDecision, !facts.time.isEmpty else { return nil }
        return facts
    }
}

/// A forward-only JSON reader over bytes, for `DecisionFacts`.
struct JSONBytes {
    struct Malformed: Error {}

    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Reads one object, calling `member` with each key (the reader positioned at its value);
    /// returns false if the bytes are not a JSON object.
    mutating func object(_ member: (inout JSONBytes, Key) throws -> Void) -> Bool {
        (try? objectThrowing(member)) != nil
    }

    mutating func objectThrowing(_ member: (inout JSONBytes, Key) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        whitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            whitespace()
            let key = try rawKey()
            whitespace()
            try expect(UInt8(ascii: ":"))
            whitespace()
            try member(&self, key)
            whitespace()
            let next = try take()
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw Malformed() }
        }
    }

    mutating func array(_ element: (inout JSONBytes) throws -> Void) throws {
        whitespace()
        if peek() == UInt8(ascii: "n") { return try skip() }  // null: no elements
        try expect(UInt8(ascii: "["))
        whitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            whitespace()
            try element(&self)
            whitespace()
            let next = try take()
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw Malformed() }
        }
    }

    mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        // Fast path: no escapes.
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
            index += 1
        }
        guard index < bytes.count else { throw Malformed() }
        if bytes[index] == UInt8(ascii: "\"") {
            defer { index += 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }
        var scalars = Array(bytes[start..<index])
        while true {
            let byte = try take()
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: scalars, as: UTF8.self)
            case UInt8(ascii: "\\"):
                let escape = try take()
                switch escape {
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), peek() == UInt8(ascii: "\\") {
                        index += 1
                        try expect(UInt8(ascii: "u"))
                        let low = try hex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low &- 0xDC00)
                    }
                    scalars += Array(String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8)
                default: scalars.append(escape)  // \" \\ \/
                }
            default:
                scalars.append(byte)
            }
        }
    }

    mutating func bool() throws -> Bool {
        whitespace()
        for (literal, value) in [("true", true), ("false", false)] where bytes[index...].starts(with: literal.utf8) {
            index += literal.utf8.count
            return value
        }
        throw Malformed()
    }

    /// Skips one value of any type.
    mutating func skip() throws {
        whitespace()
        switch peek() {
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "{"): try objectThrowing { reader, _ in try reader.skip() }
        case UInt8(ascii: "["): try array { reader in try reader.skip() }
        case nil: throw Malformed()
        default:
            // number, true, false, null
            let start = index
            scan: while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x09, 0x0D: break scan
                default: index += 1
                }
            }
            guard index > start else { throw Malformed() }
        }
    }

    /// A member name as raw bytes, matched against literals without building a String.
    struct Key {
        let bytes: UnsafeRawBufferPointer

        static func ~= (pattern: StaticString, key: Key) -> Bool {
            pattern.utf8CodeUnitCount == key.bytes.count
                && memcmp(pattern.utf8Start, key.bytes.baseAddress!, key.bytes.count) == 0
        }
    }

    /// Reads a member name; names with escapes never match a literal, which is right for the names read here.
    private mutating func rawKey() throws -> Key {
        let start = index + 1
        try skipString()
        return Key(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<index - 1]))
    }

    /// Skips a string without building it (most members of a line are never looked at).
    private mutating func skipString() throws {
        try expect(UInt8(ascii: "\""))
        while true {
            let byte = try take()
            if byte == UInt8(ascii: "\"") { return }
            if byte == UInt8(ascii: "\\") { index += 1 }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = try take()
            guard let digit = UInt32(String(UnicodeScalar(byte)), radix: 16) else { throw Malformed() }
            value = value << 4 | digit
        }
        return value
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func take() throws -> UInt8 {
        guard index < bytes.count else { throw Malformed() }
        defer { index += 1 }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard try take() == byte else { throw Malformed() }
    }

    private mutating func whitespace() {
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D else { return }
            index += 1
        }
    }
}
