/// Remembers which known members of one JSON object were read, so a repeated one is an error instead of
/// a silent "first wins" or "last wins" that another JSON parser might resolve the other way.
struct SeenMembers {
    private var bits: UInt64 = 0

    mutating func once(_ bit: Int, _ name: StaticString, at reader: JSONReader) throws(AdmissionDecodingError) {
        let mask: UInt64 = 1 << UInt64(bit)
        guard bits & mask == 0 else { throw reader.error("duplicate key \"\(name)\"") }
        bits |= mask
    }
}

extension JSONReader {
    /// The one rule for a member a decoder reads: it is marked seen first (so a repeat is an error even when
    /// one of the copies is `null`), then `null` means absent. True when a value follows for the caller to read.
    mutating func present(_ bit: Int, _ name: StaticString, in seen: inout SeenMembers) throws(AdmissionDecodingError)
        -> Bool
    {
        try seen.once(bit, name, at: self)
        return try !consumeNull()
    }
}
