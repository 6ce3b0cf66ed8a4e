import Audit
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
    /// The request's UID (exact).
    public var uid: String?
    /// `CREATE`, `UPDATE`, …; or `UPDATE/ephemeralcontainers` to match a subresource too.
    public var operation: String?
    /// Only server dry runs (`kubectl apply --dry-run=server`), or everything but them.
    public var dryRun: DryRunFilter?
    /// `certificate` or `unauthenticated` (how the caller authenticated), or text found in the verified
    /// certificate's subject or the peer address.
    public var caller: String?

    /// Whether dry runs are the only lines wanted, or the lines not wanted.
    public enum DryRunFilter: String, Sendable, CaseIterable {
        case only, exclude
    }

    public init() {}

    public func matches(_ entry: AuditEntry) -> Bool {
        matches(entry, since: since.map(RFC3339.format), until: until.map(RFC3339.format))
    }

    /// `matches` with the time bounds already formatted, so a scan formats them once, not per line.
    private func matches(_ entry: AuditEntry, since: String?, until: String?) -> Bool {
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
        if let uid, record.uid != uid { return false }
        if let operation {
            let (name, subresource) = operation.split(separator: "/", maxSplits: 1).map(String.init).pair
            if record.operation != name { return false }
            if let subresource, record.subResource != subresource { return false }
        }
        if let dryRun, record.dryRun != (dryRun == .only) { return false }
        if let caller, !Self.caller(record.caller, matches: caller) { return false }
        // Times are fixed-width UTC text, so comparing the text compares the instants.
        if let since, entry.time < since { return false }
        if let until, entry.time >= until { return false }
        return true
    }

    /// `certificate`/`unauthenticated` compare with how the caller authenticated; other text is looked for in
    /// the certificate's subject and the peer. A line without a caller (written before callers were recorded)
    /// matches none.
    static func caller(_ caller: AuditRecord.Caller?, matches text: String) -> Bool {
        guard let caller else { return false }
        if text == "certificate" || text == "unauthenticated" { return caller.auth == text }
        return (caller.subject?.contains(text) ?? false) || caller.peer.contains(text)
    }

    /// Calls `body` with each matching decision, oldest first, across plain and gzip segments.
    /// With `follow`, keeps reading lines as they are appended (and across rotation) until `body` returns false.
    public func run(
        paths: [String], follow: Bool = false, pollInterval: TimeInterval = 0.25,
        _ body: (AuditEntry) throws -> Bool
    ) throws {
        try scan(paths: paths, types: [.decision], follow: follow, pollInterval: pollInterval) { line in
            guard case .decision(let entry) = line else { return true }
            return try body(entry)
        }
    }

    /// What `scan` hands out: a decision (filtered by every set filter), a control line (by time only), or a
    /// line over the line limit (from a writer before it), whose content is not read: callers must say so.
    public enum Line: Sendable {
        case decision(AuditEntry)
        case control(ControlEntry)
        case oversized(file: String, seq: UInt64?, length: Int64)
    }

    /// The line types `scan` can read; checkpoints are for `audit verify`.
    public enum LineType: String, Sendable, CaseIterable {
        case decision, control
    }

    /// Calls `body` with each matching line of the given types, oldest first, across plain and gzip segments.
    public func scan(
        paths: [String], types: Set<LineType>, follow: Bool = false, pollInterval: TimeInterval = 0.25,
        _ body: (Line) throws -> Bool
    ) throws {
        let decoder = JSONDecoder()
        let since = since.map(RFC3339.format)
        let until = until.map(RFC3339.format)
        var keepGoing = true
        var file = ""
        func handleOversized(_ line: LineReader.OversizedLine) throws -> Bool {
            let seq = line.head.withUnsafeBytes { AuditLineFormat.parsePrefix($0)?.seq }
            keepGoing = try body(.oversized(file: file, seq: seq, length: line.length))
            return keepGoing
        }
        func handle(_ line: UnsafeRawBufferPointer) throws -> Bool {
            switch AuditLineFormat.parsePrefix(line)?.type {
            case .decision where types.contains(.decision):
                var entry: AuditEntry
                do { entry = try decoder.decode(AuditEntry.self, from: Data(line)) } catch {
                    throw AuditError("a decision line cannot be read (\(error)); run `portcullis audit verify`")
                }
                guard matches(entry, since: since, until: until) else { return true }
                entry.line = String(decoding: line.dropLast(), as: UTF8.self)
                keepGoing = try body(.decision(entry))
            case .control where types.contains(.control):
                var entry: ControlEntry
                do { entry = try decoder.decode(ControlEntry.self, from: Data(line)) } catch {
                    throw AuditError("a control line cannot be read (\(error)); run `portcullis audit verify`")
                }
                // Times are fixed-width UTC text, so comparing the text compares the instants.
                if let since, entry.time < since { return true }
                if let until, entry.time >= until { return true }
                entry.line = String(decoding: line.dropLast(), as: UTF8.self)
                keepGoing = try body(.control(entry))
            default:
                break
            }
            return keepGoing
        }
        // Per segment (base and first seq): bytes of whole lines already read. A segment compressed while
        // being followed is resumed inside its .gz at the same offset, so no line is shown twice or skipped.
        var progress: [String: Int64] = [:]
        repeat {
            rounds: for (_, segments) in try AuditLogFiles.resolve(paths) {
                for segment in segments where keepGoing {
                    let key = "\(segment.base)/\(segment.firstSeq)"
                    let already = progress[key] ?? 0
                    guard already != .max else { continue }
                    file = segment.path
                    if segment.compressed {
                        let reader = try LineReader(path: segment.path, compressed: true)
                        _ = try reader.forEachLine(
                            { line in reader.offset <= already ? true : try handle(line) },
                            oversized: { line in line.offset + line.length <= already ? true : try handleOversized(line)
                            })
                        progress[key] = .max
                    } else {
                        // The writer may compress this segment between listing and opening it (the plain file
                        // is unlinked once its .gz is in place). When following, look again next round, where
                        // the .gz resumes at the same offset; skipping ahead would show later lines first.
                        let reader: LineReader
                        do {
                            reader = try LineReader(path: segment.path, compressed: false, startOffset: already)
                        } catch {
                            if follow && !FileManager.default.fileExists(atPath: segment.path) { break rounds }
                            throw error
                        }
                        _ = try reader.forEachLine(handle, oversized: handleOversized)
                        progress[key] = reader.offset
                    }
                }
            }
            if follow && keepGoing { Thread.sleep(forTimeInterval: pollInterval) }
        } while follow && keepGoing
    }
}

extension Array where Element == String {
    /// The first element and the second, if any: `UPDATE/ephemeralcontainers` → (UPDATE, ephemeralcontainers).
    fileprivate var pair: (String, String?) { (first ?? "", count > 1 ? self[1] : nil) }
}

/// Denials counted by class, rule, namespace and user, for `portcullis audit summary`; dry runs and
/// unauthenticated callers apart.
public struct AuditSummary: Sendable {
    public private(set) var decisions: [AuditRecord.Decision: Int] = [:]
    public private(set) var deniedByClass: [String: Int] = [:]
    public private(set) var deniedByRule: [String: Int] = [:]
    public private(set) var deniedByNamespace: [String: Int] = [:]
    public private(set) var deniedByUser: [String: Int] = [:]
    /// Control lines by event name (server start, policy reload, certificate rotation…).
    public private(set) var controlEvents: [String: Int] = [:]
    /// Lines over the line limit (from a writer before it), counted but not read.
    public private(set) var oversizedLines = 0
    /// Server dry runs: answered, changed nothing; not among `decisions`.
    public private(set) var dryRuns = 0
    /// Decisions whose caller presented no verified client certificate (anyone who reaches the port could
    /// have sent them); counted among `decisions` too, since without mTLS every decision is one.
    public private(set) var unauthenticated = 0

    public init() {}

    public mutating func add(_ line: AuditQuery.Line) {
        switch line {
        case .decision(let entry): add(entry)
        case .control(let entry): controlEvents[entry.event.event.rawValue, default: 0] += 1
        case .oversized: oversizedLines += 1
        }
    }

    public mutating func add(_ entry: AuditEntry) {
        let record = entry.record
        if record.caller?.auth == "unauthenticated" { unauthenticated += 1 }
        guard !record.dryRun else {
            dryRuns += 1
            return
        }
        decisions[record.decision, default: 0] += 1
        guard record.decision == .denied else { return }
        deniedByClass[record.dataClass ?? "(none)", default: 0] += 1
        deniedByNamespace[record.namespace ?? "(cluster)", default: 0] += 1
        deniedByUser[record.user, default: 0] += 1
        for rule in Set(record.rules.map(\.id)) { deniedByRule[rule, default: 0] += 1 }
        if record.rules.isEmpty { deniedByRule[record.reason ?? "(no rule)", default: 0] += 1 }
    }
}
