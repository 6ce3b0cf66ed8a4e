/// A decision line read back from the log: the record plus what the writer added.
public struct AuditEntry: Sendable, Decodable, Equatable {
    public var seq: UInt64
    /// RFC 3339 UTC with microseconds, as written; fixed width, so it sorts and compares as text.
    public var time: String
    public var chain: String
    public var record: AuditRecord
    /// The line exactly as stored (without its newline), for JSON output that is byte-identical evidence.
    public internal(set) var line = ""

    private enum CodingKeys: String, CodingKey { case seq, time, chain }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seq = try container.decode(UInt64.self, forKey: .seq)
        time = try container.decode(String.self, forKey: .time)
        chain = try container.decode(String.self, forKey: .chain)
        // The record's members sit flat in the same object.
        record = try AuditRecord(from: decoder)
    }
}
