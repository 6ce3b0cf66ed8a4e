import Foundation

/// Filters decision lines for a security reviewer. Every set filter must match.
public struct AuditQuery: Sendable {
    public var decisions: Set<AuditRecord.Decision> = []
    public var namespace: String?
    public var dataClass: String?
    public var rule: String?
    public var user: String?
    /// Matches when any image's reference or digest contains this text.
    public var image: String?
    public var since: Date?
    public var until: Date?

    public init() {}

    public func matches(_ entry: AuditEntry) -> Bool {
        let record = entry.record
        if !decisions.isEmpty, !decisions.contains(record.decision) { return false }
        if let namespace, record.namespace != namespace { return false }
        if let dataClass, record.dataClass != dataClass { return false }
        if let rule, !record.rules.contains(where: { $0.id == rule }) { return false }
        if let user, record.user != user { return false }
        if let image,
            !record.images.contains(where: { $0.reference.contains(image) || ($0.digest?.contains(image) ?? false) })
        {
            return false
        }
        // Times are fixed-width UTC text, so comparing the text compares the instants.
        if let since, entry.time < RFC3339.format(since) { return false }
        if let until, entry.time >= RFC3339.format(until) { return false }
        return true
    }

    /// Calls `body` with each matching decision, oldest first, across plain and gzip segments.
    /// With `follow`, keeps reading lines as they are appended (and across rotation) until `body` returns false.
    public func run(
        paths: [String], follow: Bool = false, pollInterval: TimeInterval = 0.25,
        _ body: (AuditEntry) throws -> Bool
    ) throws {
        let decoder = JSONDecoder()
        var keepGoing = true
        func handle(_ line: UnsafeRawBufferPointer) throws -> Bool {
            guard AuditLineFormat.parsePrefix(line)?.type == .decision else { return true }
            var entry: AuditEntry
            do { entry = try decoder.decode(AuditEntry.self, from: Data(line)) } catch {
                throw AuditError("a decision line cannot be read (\(error)); run `portcullis audit verify`")
            }
            if matches(entry) {
                entry.line = String(decoding: line.dropLast(), as: UTF8.self)
                keepGoing = try body(entry)
            }
            return keepGoing
        }
        // Per segment (base and first seq): bytes of whole lines already read. A segment compressed while
        // being followed is resumed inside its .gz at the same offset, so no line is shown twice or skipped.
        var progress: [String: Int64] = [:]
        repeat {
            for (_, segments) in try AuditLogFiles.resolve(paths) {
                for segment in segments where keepGoing {
                    let key = "\(segment.base)/\(segment.firstSeq)"
                    let already = progress[key] ?? 0
                    guard already != .max else { continue }
                    if segment.compressed {
                        let reader = try LineReader(path: segment.path, compressed: true)
                        _ = try reader.forEachLine { line in reader.offset <= already ? true : try handle(line) }
                        progress[key] = .max
                    } else {
                        let reader = try LineReader(path: segment.path, compressed: false, startOffset: already)
                        _ = try reader.forEachLine(handle)
                        progress[key] = reader.offset
                    }
                }
            }
            if follow && keepGoing { Thread.sleep(forTimeInterval: pollInterval) }
        } while follow && keepGoing
    }
}

/// Denials counted by class, rule, namespace and user, for `portcullis audit summary`.
public struct AuditSummary: Sendable {
    public private(set) var decisions: [AuditRecord.Decision: Int] = [:]
    public private(set) var deniedByClass: [String: Int] = [:]
    public private(set) var deniedByRule: [String: Int] = [:]
    public private(set) var deniedByNamespace: [String: Int] = [:]
    public private(set) var deniedByUser: [String: Int] = [:]

    public init() {}

    public mutating func add(_ entry: AuditEntry) {
        let record = entry.record
        decisions[record.decision, default: 0] += 1
        guard record.decision == .denied else { return }
        deniedByClass[record.dataClass ?? "(none)", default: 0] += 1
        deniedByNamespace[record.namespace ?? "(cluster)", default: 0] += 1
        deniedByUser[record.user, default: 0] += 1
        for rule in Set(record.rules.map(\.id)) { deniedByRule[rule, default: 0] += 1 }
        if record.rules.isEmpty { deniedByRule[record.reason ?? "(no rule)", default: 0] += 1 }
    }
}
