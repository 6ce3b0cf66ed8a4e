/// Tests on the eight bytes of a word at once (SWAR), for scanners that skip plain runs a word at a time and
/// stop at the first byte that needs attention: the JSON reader (quotes, escapes, control and non-ASCII bytes)
/// and the writer (bytes to escape).
///
/// Each test returns the high bit of every byte of `word` (little-endian: byte 0 is the lowest) that matches,
/// exact up to and including the lowest match: the classic "has a zero byte" trick, where a borrow only ever
/// spoils bytes above a match. So `trailingZeroBitCount >> 3` of a nonzero result is the first match's offset.
public enum ByteLanes {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    /// The high bit of every byte; `word & highs` marks the non-ASCII bytes (exactly, no borrow involved).
    public static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The bytes equal to `byte`.
    @inlinable @inline(__always)
    public static func equal(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let difference = word ^ (ones &* UInt64(byte))
        return (difference &- ones) & ~difference & highs
    }

    /// The bytes below `bound` (at most 0x80).
    @inlinable @inline(__always)
    public static func below(_ word: UInt64, _ bound: UInt8) -> UInt64 {
        (word &- ones &* UInt64(bound)) & ~word & highs
    }

    /// The word at `base + offset`, whatever its alignment.
    @inlinable @inline(__always)
    public static func load(_ base: UnsafePointer<UInt8>, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
    }
}
