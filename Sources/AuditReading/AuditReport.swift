import Audit
import Foundation
import PortcullisCrypto

/// The aggregates behind `portcullis audit report`: the integrity verdict first, then what was
/// decided, why, for whom, with which signed images, under which controls.
///
/// Built in one streaming pass with bounded memory: every breakdown is a `BoundedCounter` (distinct
/// keys capped, the rest counted as "(other)"), the timeline a fixed number of buckets that widen
/// as the period grows, and the control timeline capped. Encodes as the `-o json` form for a SIEM.
public struct AuditReport: Sendable, Encodable {
    /// Report format version, bumped when a member changes meaning (docs/AUDIT.md).
    public var reportVersion = 1
    public var generated: String
    public var since: String?
    public var until: String?
    public var integrity: Integrity
    public var totals: Totals
    public var timeline: Timeline
    public var deniedByRule: [Count]
    public var deniedByClass: [Count]
    public var deniedByNamespace: [Count]
    public var deniedByUser: [Count]
    public var topDenialMessages: [Count]
    public var imagesAdmitted: [ImageCount]
    /// Decisions from callers without a verified client certificate, by peer address (without the port).
    public var unauthenticatedCallers: [Count]
    /// Artifacts mounted as volumes (models, datasets) in admitted pods: digest, signer, first and last admission.
    public var modelsAdmitted: [ModelRow]
    /// Distinct artifacts left out of ``modelsAdmitted`` by the tally's cap (their admissions are not counted).
    public var modelsOmitted: Int
    /// Warn- or audit-mode admissions that broke a rule: what enforce mode would have denied, by rule.
    public var wouldHaveDenied: [Count]
    /// Exemptions applied, by `rule: reason`.
    public var exemptions: [Count]
    public var controlEvents: [ControlLine]
    /// Control lines left out of `controlEvents` because of its cap.
    public var controlEventsOmitted: Int

    public struct Integrity: Sendable, Encodable {
        /// `intact`, `tampered`, or `unsigned` (chain intact but no key given to check signatures).
        public var verdict: String
        public var keyFingerprint: String?
        public var logs: [LogIntegrity]
        /// From control lines over the whole log: torn tails quarantined and audit outages.
        public var quarantines: Int
        public var outages: Int
        /// Decisions over the whole log from callers without a verified client certificate: lines anyone who
        /// could reach the webhook port may have written (shown next to the verdict when not zero).
        public var unauthenticatedDecisions: Int
        public var firstTime: String?
        public var lastTime: String?
    }

    public struct LogIntegrity: Sendable, Encodable {
        public var log: String
        public var segments: Int
        public var lines: Int
        public var checkpoints: Int
        public var firstSeq: UInt64?
        public var lastSeq: UInt64?
        public var unsignedTail: Int
        /// Lines over the line limit (from a writer before it): chained and signed, but not read into this report.
        public var oversizedLines: Int
        /// The last verified checkpoint as a signed C2SP note: the head to keep and pass to `verify --checkpoint`.
        public var head: String?
        public var signaturesChecked: Bool
        public var finding: String?
        public var findingCause: String?
    }

    public struct Totals: Sendable, Encodable {
        /// Real decisions: dry runs are counted in `dryRuns` only.
        public var decisions = 0
        /// Server dry runs (`kubectl apply --dry-run=server`): answered, changed nothing.
        public var dryRuns = 0
        /// Decisions (dry runs included) whose caller presented no verified client certificate.
        public var unauthenticated = 0
        public var allowed = 0
        public var denied = 0
        public var warned = 0
        public var error = 0
        public var control = 0
    }

    public struct Timeline: Sendable, Encodable {
        public var bucketSeconds: Int
        public var buckets: [Bucket]
    }

    public struct Bucket: Sendable, Encodable {
        public var start: String
        public var allowed: Int
        public var denied: Int
        public var warned: Int
        public var error: Int
    }

    public struct Count: Sendable, Encodable, Equatable {
        public var name: String
        public var count: Int
    }

    public struct ImageCount: Sendable, Encodable {
        public var reference: String
        public var digest: String?
        public var authority: String?
        public var count: Int
    }

    public struct ControlLine: Sendable, Encodable {
        public var seq: UInt64
        public var time: String
        public var event: ControlEvent
    }
}

/// Counts by key with at most `capacity` distinct keys; later new keys are counted as "(other)",
/// so a log with millions of distinct users or messages cannot exhaust memory.
struct BoundedCounter {
    static let other = "(other)"
    let capacity: Int
    private(set) var counts: [String: Int] = [:]
    private(set) var overflow = 0

    init(capacity: Int = 10_000) { self.capacity = capacity }

    mutating func add(_ key: String, _ amount: Int = 1) {
        if counts[key] != nil || counts.count < capacity {
            counts[key, default: 0] += amount
        } else {
            overflow += amount
        }
    }

    /// The `n` largest counts (ties by name), then "(other)" for the rest when there is any.
    func top(_ n: Int) -> [AuditReport.Count] {
        let sorted = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        var result = sorted.prefix(n).map { AuditReport.Count(name: $0.key, count: $0.value) }
        let rest = sorted.dropFirst(n).reduce(overflow) { $0 + $1.value }
        if rest > 0 { result.append(AuditReport.Count(name: BoundedCounter.other, count: rest)) }
        return result
    }
}

/// Decisions per time bucket. Buckets start one minute wide and widen (to multiples of the previous
/// width) whenever the period would need more than `maximumBuckets`, so memory is fixed.
struct TimeBuckets {
    static let widths: [Int64] = [60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400, 604_800, 2_419_200]
    static let maximumBuckets = 96
    private(set) var widthIndex = 0
    private(set) var counts: [Int64: [Int]] = [:]
    private var low = Int64.max
    private var high = Int64.min

    var width: Int64 { TimeBuckets.widths[widthIndex] }

    mutating func add(epochSeconds: Int64, decision: AuditRecord.Decision) {
        low = min(low, epochSeconds)
        high = max(high, epochSeconds)
        while widthIndex < TimeBuckets.widths.count - 1,
            high.floorDiv(width) - low.floorDiv(width) >= Int64(TimeBuckets.maximumBuckets)
        {
            widthIndex += 1
            var merged: [Int64: [Int]] = [:]
            for (start, values) in counts {
                let key = start.floorDiv(width) * width
                merged[key] = zip(merged[key] ?? [0, 0, 0, 0], values).map(+)
            }
            counts = merged
        }
        let key = epochSeconds.floorDiv(width) * width
        let index = AuditRecord.Decision.allCases.firstIndex(of: decision)!
        counts[key, default: [0, 0, 0, 0]][index] += 1
    }

    /// Every bucket from the first to the last, empty ones included, so the chart's x axis is linear.
    func timeline() -> AuditReport.Timeline {
        guard low <= high else { return AuditReport.Timeline(bucketSeconds: Int(width), buckets: []) }
        var buckets: [AuditReport.Bucket] = []
        var start = low.floorDiv(width) * width
        while start <= high {
            let values = counts[start] ?? [0, 0, 0, 0]
            buckets.append(
                AuditReport.Bucket(
                    start: RFC3339.format(Date(timeIntervalSince1970: TimeInterval(start))), allowed: values[0],
                    denied: values[1], warned: values[2], error: values[3]))
            start += width
        }
        return AuditReport.Timeline(bucketSeconds: Int(width), buckets: buckets)
    }
}

extension Int64 {
    fileprivate func floorDiv(_ divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor < 0) ? q - 1 : q
    }
}

/// Builds an `AuditReport` over audit logs: the verifier and the aggregation run side by side
/// (one thread each), both streaming.
public struct AuditReportBuilder: Sendable {
    public var key: Ed25519PublicKey?
    public var since: Date?
    public var until: Date?
    /// Rows kept in each breakdown.
    public var topN = 20
    /// Control lines listed in the report's timeline.
    public var controlCap = 2000

    public init(key: Ed25519PublicKey? = nil, since: Date? = nil, until: Date? = nil) {
        self.key = key
        self.since = since
        self.until = until
    }

    public func build(paths: [String], now: Date = Date()) throws -> AuditReport {
        let verifier = AuditVerifier(key: key)
        let verification = VerificationBox()
        let thread = Thread {
            verification.result = Result { () throws(AuditError) in try verifier.verify(paths: paths) }
            verification.done.signal()
        }
        thread.start()
        var aggregate = Aggregate(since: since.map(RFC3339.format), until: until.map(RFC3339.format))
        let aggregation = Result { () throws in
            let decoder = JSONDecoder()
            for (_, segments) in try AuditLogFiles.resolve(paths) {
                for segment in segments {
                    let reader = try LineReader(path: segment.path, compressed: segment.compressed)
                    // Oversized lines are counted by the verifier (integrity); their content is not read.
                    _ = try reader.forEachLine(
                        { line in
                            switch AuditLineFormat.parsePrefix(line)?.type {
                            case .decision:
                                // An unreadable line is the verifier's finding, not a reason to stop the report.
                                if let facts = DecisionFacts.parse(line) { aggregate.add(facts) }
                            case .control:
                                if let entry = try? decoder.decode(ControlEntry.self, from: Data(line)) {
                                    aggregate.add(entry, controlCap: controlCap)
                                }
                            default:
                                break
                            }
                            return true
                        }, oversized: { _ in true })
                }
            }
        }
        verification.done.wait()
        try aggregation.get()
        let logs = try verification.result!.get()
        return aggregate.report(logs: logs, key: key, topN: topN, generated: RFC3339.format(now))
    }
}

/// Hands the verifier thread's result back; written once before `done` is signalled, read after.
private final class VerificationBox: @unchecked Sendable {
    var result: Result<[AuditLogReport], AuditError>?
    let done = DispatchSemaphore(value: 0)
}

/// An image as the report counts it: the same reference admitted under another digest or signer is another row.
struct ImageKey: Hashable {
    var reference: String
    var digest: String?
    var authority: String?
}

/// The running totals of one report.
struct Aggregate {
    let since: String?
    let until: String?
    var totals = AuditReport.Totals()
    var buckets = TimeBuckets()
    var deniedByRule = BoundedCounter()
    var deniedByClass = BoundedCounter()
    var deniedByNamespace = BoundedCounter()
    var deniedByUser = BoundedCounter()
    var denialMessages = BoundedCounter()
    var images: [ImageKey: Int] = [:]
    var imagesOverflow = 0
    var models = ModelTally()
    var wouldHaveDenied = BoundedCounter()
    var exemptions = BoundedCounter()
    var controlLines: [AuditReport.ControlLine] = []
    var controlOmitted = 0
    var quarantines = 0
    var outages = 0
    var unauthenticatedDecisions = 0
    var unauthenticatedCallers = BoundedCounter()
    var firstTime: String?
    var lastTime: String?

    init(since: String?, until: String?) {
        self.since = since
        self.until = until
    }

    /// Notes the line's time as the log's first or last, and whether it falls in the period.
    private mutating func inPeriod(_ time: String) -> Bool {
        if firstTime == nil { firstTime = time }
        lastTime = time
        if let since, time < since { return false }
        if let until, time >= until { return false }
        return true
    }

    mutating func add(_ entry: ControlEntry, controlCap: Int) {
        // Integrity facts cover the whole log, whatever the period.
        if entry.event.event == .tornTailQuarantined { quarantines += 1 }
        if entry.event.event == .auditUnavailable { outages += 1 }
        guard inPeriod(entry.time) else { return }
        totals.control += 1
        if controlLines.count < controlCap {
            controlLines.append(AuditReport.ControlLine(seq: entry.seq, time: entry.time, event: entry.event))
        } else {
            controlOmitted += 1
        }
    }

    mutating func add(_ record: DecisionFacts) {
        let unauthenticated = record.callerAuth == "unauthenticated"
        // Integrity facts cover the whole log, whatever the period.
        if unauthenticated { unauthenticatedDecisions += 1 }
        guard inPeriod(record.time) else { return }
        if unauthenticated {
            totals.unauthenticated += 1
            let peer = record.callerPeer ?? "(unknown)"
            unauthenticatedCallers.add(peer.lastIndex(of: ":").map { String(peer[..<$0]) } ?? peer)
        }
        // A dry run changed nothing in the cluster: counted apart, in no breakdown of what was admitted.
        guard !record.dryRun else {
            totals.dryRuns += 1
            return
        }
        totals.decisions += 1
        switch record.decision {
        case .allowed: totals.allowed += 1
        case .denied: totals.denied += 1
        case .warned: totals.warned += 1
        case .error: totals.error += 1
        }
        if let seconds = RFC3339.epochSeconds(record.time) {
            buckets.add(epochSeconds: seconds, decision: record.decision)
        }
        for exemption in record.exemptions {
            exemptions.add("\(exemption.rule ?? "all rules"): \(exemption.reason)")
        }
        switch record.decision {
        case .denied:
            deniedByClass.add(record.dataClass ?? "(none)")
            deniedByNamespace.add(record.namespace ?? "(cluster)")
            deniedByUser.add(record.user)
            if record.rules.isEmpty {
                deniedByRule.add(record.reason ?? "(no rule)")
            }
            for rule in record.rules {
                deniedByRule.add(rule.id)
                denialMessages.add("\(rule.id): \(rule.message)")
            }
        case .allowed, .warned:
            if record.mode != "enforce" || record.decision == .warned {
                for rule in record.rules { wouldHaveDenied.add(rule.id) }
            }
            for image in record.images {
                let key = ImageKey(reference: image.reference, digest: image.digest, authority: image.authority)
                if images[key] != nil || images.count < 10_000 {
                    images[key, default: 0] += 1
                } else {
                    imagesOverflow += 1
                }
            }
            models.add(record.images, time: record.time, dataClass: record.dataClass)
        case .error:
            break
        }
    }

    func report(logs: [AuditLogReport], key: Ed25519PublicKey?, topN: Int, generated: String) -> AuditReport {
        let tampered = logs.contains { !$0.isIntact }
        let verdict = tampered ? "tampered" : (key == nil ? "unsigned" : "intact")
        let integrity = AuditReport.Integrity(
            verdict: verdict, keyFingerprint: key.map { SHA256.hex(of: $0.raw) },
            logs: logs.map { log in
                AuditReport.LogIntegrity(
                    log: log.base, segments: log.segments, lines: log.lines, checkpoints: log.checkpoints,
                    firstSeq: log.firstSeq, lastSeq: log.lastSeq, unsignedTail: log.unsignedTail,
                    oversizedLines: log.oversizedCount, head: log.head, signaturesChecked: log.signaturesChecked,
                    finding: log.finding?.description,
                    findingCause: log.finding?.cause.rawValue)
            }, quarantines: quarantines, outages: outages, unauthenticatedDecisions: unauthenticatedDecisions,
            firstTime: firstTime, lastTime: lastTime)
        var imageRows = images.map { key, count in
            AuditReport.ImageCount(reference: key.reference, digest: key.digest, authority: key.authority, count: count)
        }.sorted { ($0.count, $1.reference, $1.digest ?? "") > ($1.count, $0.reference, $0.digest ?? "") }
            .prefix(topN).map { $0 }
        let imageRest = images.values.reduce(imagesOverflow, +) - imageRows.reduce(0) { $0 + $1.count }
        if imageRest > 0 {
            imageRows.append(AuditReport.ImageCount(reference: BoundedCounter.other, count: imageRest))
        }
        return AuditReport(
            generated: generated, since: since, until: until, integrity: integrity, totals: totals,
            timeline: buckets.timeline(), deniedByRule: deniedByRule.top(topN), deniedByClass: deniedByClass.top(topN),
            deniedByNamespace: deniedByNamespace.top(topN), deniedByUser: deniedByUser.top(topN),
            topDenialMessages: denialMessages.top(topN), imagesAdmitted: imageRows,
            unauthenticatedCallers: unauthenticatedCallers.top(topN),
            modelsAdmitted: models.top(topN), modelsOmitted: models.overflow,
            wouldHaveDenied: wouldHaveDenied.top(topN), exemptions: exemptions.top(topN), controlEvents: controlLines,
            controlEventsOmitted: controlOmitted)
    }
}

extension RFC3339 {
    /// Whole seconds since 1970 of a `YYYY-MM-DDTHH:MM:SS…Z` time as this log writes it, without a
    /// formatter (the report calls this once per line).
    static func epochSeconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { epochSeconds(UnsafeRawBufferPointer($0)) }
    }

    private static func epochSeconds(_ utf8: UnsafeRawBufferPointer) -> Int64? {
        guard utf8.count >= 19, utf8[4] == 0x2D, utf8[7] == 0x2D, utf8[10] == 0x54, utf8[13] == 0x3A,
            utf8[16] == 0x3A
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for i in range {
                guard utf8[i] >= 0x30 && utf8[i] <= 0x39 else { return nil }
                value = value * 10 + Int64(utf8[i] - 0x30)
            }
            return value
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10), let hh = number(11..<13),
            let mm = number(14..<16), let ss = number(17..<19), (1...12).contains(m)
        else { return nil }
        // Days from the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
        let year = m <= 2 ? y - 1 : y
        let era = (year >= 0 ? year : year - 399) / 400
        let yoe = year - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86400 + hh * 3600 + mm * 60 + ss
    }
}
