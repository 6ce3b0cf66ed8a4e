/// A line read back from the log: its content plus what the writer added (sequence, time, chain).
///
/// One shape for decision and control lines, since the writer frames both the same way; `record`
/// and `event` name the content for each.
public struct AuditLogEntry<Content: Decodable & Sendable & Equatable>: Sendable, Decodable, Equatable {
    public var seq: UInt64
    /// RFC 3339 UTC with microseconds, as written; fixed width, so it sorts and compares as text.
    public var time: String
    public var chain: String
    public var content: Content
    /// The line exactly as stored (without its newline), for JSON output that is byte-identical evidence.
    public package(set) var line = ""

    private enum CodingKeys: String, CodingKey { case seq, time, chain }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seq = try container.decode(UInt64.self, forKey: .seq)
        time = try container.decode(String.self, forKey: .time)
        chain = try container.decode(String.self, forKey: .chain)
        // The content's members sit flat in the same object.
        content = try Content(from: decoder)
    }
}

/// A decision line read back from the log.
public typealias AuditEntry = AuditLogEntry<AuditRecord>
/// A control line read back from the log.
public typealias ControlEntry = AuditLogEntry<ControlEvent>

extension AuditLogEntry where Content == AuditRecord {
    public var record: AuditRecord { content }
}

extension AuditLogEntry where Content == ControlEvent {
    public var event: ControlEvent { content }
}
