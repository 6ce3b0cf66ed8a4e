import Foundation
import PortcullisCrypto

/// The v1 line format: every line starts with a fixed prefix
/// `{"v":1,"seq":<n>,"prev":"<64 hex>","type":"<decision|checkpoint|control>",`
/// so the verifier can follow the chain by position, without a JSON parser per line.
package enum AuditLineFormat {
    static let version: UInt64 = 1

    /// The longest line, newline included, that the writer writes and the readers hold in memory. The
    /// writer shortens a decision that would exceed it (`AuditRecord.boundedMembers`); a longer line
    /// from an older writer is read past, hashed but not parsed, and reported (docs/AUDIT.md).
    package static let maximumLineBytes = 256 << 10

    /// Room the prefix, `time`, `chain` (at most `maximumChainIDBytes`) and closing take; the rest is the content's.
    static let maximumMemberBytes = maximumLineBytes - 1024
    static let maximumChainIDBytes = 253

    /// `prev` of the very first line of a chain: 64 hex zeros (documented in docs/AUDIT.md).
    static let genesis = SHA256Digest.zero

    package enum LineType: String {
        case decision, checkpoint, control
    }

    /// The positional fields every line begins with.
    package struct Prefix {
        package var version: UInt64
        package var seq: UInt64
        /// Byte offset of the 64 hex digits of `prev` within the line.
        package var prevOffset: Int
        package var type: LineType
    }

    /// Writes the prefix and the common members (`time`, formatted by `RFC3339.format`, and `chain`) of a line.
    static func begin(seq: UInt64, prev: SHA256Digest, type: LineType, time: String, chain: String) -> JSONLine {
        var line = JSONLine()
        line.field("v", version)
        line.field("seq", seq)
        line.field("prev", prev.hex)
        line.field("type", type.rawValue)
        line.field("time", time)
        line.field("chain", chain)
        return line
    }

    /// Finishes a line: closing brace and newline. The hashed bytes include the newline.
    static func end(_ line: JSONLine) -> [UInt8] {
        line.closed() + [UInt8(ascii: "\n")]
    }

    /// Parses the positional prefix; `nil` if the line does not start the way v1 lines do.
    package static func parsePrefix(_ line: UnsafeRawBufferPointer) -> Prefix? {
        var cursor = 0
        func expect(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard cursor + count <= line.count else { return false }
            let matches = literal.withUTF8Buffer { lit in
                memcmp(line.baseAddress! + cursor, lit.baseAddress!, count) == 0
            }
            if matches { cursor += count }
            return matches
        }
        func number() -> UInt64? {
            var value: UInt64 = 0
            let start = cursor
            while cursor < line.count, cursor - start < 20 {
                let byte = line[cursor]
                guard byte >= 0x30 && byte <= 0x39 else { break }
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(byte - 0x30))
                guard !o1 && !o2 else { return nil }
                value = s
                cursor += 1
            }
            return cursor > start ? value : nil
        }
        guard expect("{\"v\":"), let version = number(), expect(",\"seq\":"), let seq = number(),
            expect(",\"prev\":\"")
        else { return nil }
        let prevOffset = cursor
        cursor += 64
        guard cursor <= line.count, expect("\",\"type\":\"") else { return nil }
        let typeStart = cursor
        while cursor < line.count, line[cursor] != UInt8(ascii: "\"") { cursor += 1 }
        guard cursor < line.count,
            let type = LineType(
                rawValue: String(decoding: UnsafeRawBufferPointer(rebasing: line[typeStart..<cursor]), as: UTF8.self))
        else { return nil }
        return Prefix(version: version, seq: seq, prevOffset: prevOffset, type: type)
    }
}

/// RFC 3339 timestamps in UTC with microseconds, e.g. `2026-11-29T02:05:15.123456Z`.
package enum RFC3339 {
    package static func format(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        var seconds = time_t(micros.quotient(dividingBy: 1_000_000))
        let fraction = micros - Int64(seconds) * 1_000_000
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let fractionText = String(fraction)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 6 - fractionText.count) + fractionText + "Z"
    }

    /// Parses the timestamps this log writes (and plain `…Z` / `±hh:mm` RFC 3339 forms).
    package static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

extension Int64 {
    /// Floor division, so times before 1970 still split into whole seconds and a positive fraction.
    fileprivate func quotient(dividingBy divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor < 0) ? q - 1 : q
    }
}
