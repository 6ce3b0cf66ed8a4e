/// A change to the controls in force, recorded in the same hash-chained log as the decisions.
///
/// Decision lines say what was decided; control lines say under which policy, keys, certificate
/// and audit health it was decided, so "which controls were in force at time T" is answered by
/// the log alone. One flat shape serves every event (members a kind does not use are absent), so
/// a SIEM can index the lines without knowing each kind, and a newer kind never breaks an older reader.
public struct ControlEvent: Sendable, Codable, Equatable {
    /// The event's name. A string wrapper rather than an enum so a reader older than the writer
    /// still reads lines whose kind it does not know.
    public struct Kind: RawRepresentable, Sendable, Codable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
        public var description: String { rawValue }

        public static let serverStarted = Kind(rawValue: "serverStarted")
        public static let serverStopped = Kind(rawValue: "serverStopped")
        public static let policyLoaded = Kind(rawValue: "policyLoaded")
        public static let policyReloaded = Kind(rawValue: "policyReloaded")
        public static let policyRejected = Kind(rawValue: "policyRejected")
        public static let trustMaterialLoaded = Kind(rawValue: "trustMaterialLoaded")
        public static let trustMaterialChanged = Kind(rawValue: "trustMaterialChanged")
        public static let certificateLoaded = Kind(rawValue: "certificateLoaded")
        public static let certificateRotated = Kind(rawValue: "certificateRotated")
        public static let segmentRotated = Kind(rawValue: "segmentRotated")
        public static let tornTailQuarantined = Kind(rawValue: "tornTailQuarantined")
        public static let auditUnavailable = Kind(rawValue: "auditUnavailable")
        public static let auditRecovered = Kind(rawValue: "auditRecovered")
        public static let uncoveredLinesQuarantined = Kind(rawValue: "uncoveredLinesQuarantined")
        public static let retentionApplied = Kind(rawValue: "retentionApplied")
        public static let auditSegmentLost = Kind(rawValue: "auditSegmentLost")
        public static let auditLateLines = Kind(rawValue: "auditLateLines")

        /// Kinds that concern the policy or trusted keys, shown together as the report's control timeline.
        public var isPolicyOrTrust: Bool {
            [.policyLoaded, .policyReloaded, .policyRejected, .trustMaterialLoaded, .trustMaterialChanged]
                .contains(self)
        }
    }

    /// The enforcement mode of one data class when the server started.
    public struct ClassMode: Sendable, Codable, Equatable {
        public var dataClass: String
        public var mode: String

        public init(dataClass: String, mode: String) {
            self.dataClass = dataClass
            self.mode = mode
        }

        private enum CodingKeys: String, CodingKey {
            case dataClass = "class"
            case mode
        }
    }

    /// A signing authority trusted for images, and the fingerprints (SHA-256) of its keys.
    public struct Authority: Sendable, Codable, Equatable {
        public var name: String
        public var fingerprints: [String]

        public init(name: String, fingerprints: [String]) {
            self.name = name
            self.fingerprints = fingerprints
        }
    }

    public var event: Kind
    /// One sentence a person reads in `audit query` or the report.
    public var message: String
    /// Server start: the program version, the SHA-256 of the running binary, of its configuration,
    /// and each class's enforcement mode.
    public var version: String?
    public var build: String?
    public var configurationSHA256: String?
    public var modes: [ClassMode]?
    /// Policy events: the file, the hash in force before, the new (or rejected) hash, and the error.
    public var path: String?
    public var previousSHA256: String?
    public var sha256: String?
    public var error: String?
    /// Trust material: the authorities now trusted.
    public var authorities: [Authority]?
    /// Certificate events, as `openssl x509` prints them (serial in hex, subject RFC 2253, notAfter RFC 3339).
    public var serial: String?
    public var subject: String?
    public var notAfter: String?
    /// Segment rotation: the segment closed (`file`) and the one opened (`segment`); quarantine: the
    /// quarantine file (`file`), the segment it was cut from, at which offset and how many bytes.
    public var file: String?
    public var segment: String?
    public var offset: UInt64?
    public var length: UInt64?
    /// Audit outage: when the first write failed and how many decisions were answered AuditUnavailable.
    public var since: String?
    public var failedWrites: UInt64?
    /// Quarantine of lines no checkpoint covered: how many whole lines were moved aside.
    public var lines: UInt64?
    /// Retention: the first sequence number kept; every segment before it is removed on purpose.
    public var retainedFrom: UInt64?
    /// Server start: the chain head the previous run left signed (seq of its last checkpoint, tree size, root),
    /// `previousRun` (`sealed`: it stopped cleanly; `crashed`; `none`: a new log), and lines quarantined at start.
    public var previousSeq: UInt64?
    public var previousTreeSize: UInt64?
    public var previousRoot: String?
    public var previousRun: String?
    public var quarantinedLines: UInt64?
    /// Refused unauthenticated admissions: the last caller's address, and how many refusals the line stands for.
    public var peer: String?
    public var refused: UInt64?
    /// Lines that became durable after their callers had given up waiting (and answered AuditUnavailable).
    public var seqs: [UInt64]?

    public init(_ event: Kind, message: String) {
        self.event = event
        self.message = message
    }

    /// The event's members in the documented order, without braces (spliced after the line prefix).
    func encodedMembers() -> [UInt8] {
        var line = JSONLine(capacity: 256)
        line.field("event", event.rawValue)
        line.field("message", message)
        line.field("version", version)
        line.field("build", build)
        line.field("configurationSHA256", configurationSHA256)
        if let modes {
            line.field("modes", objects: modes) { o, mode in
                o.field("class", mode.dataClass)
                o.field("mode", mode.mode)
            }
        }
        line.field("path", path)
        line.field("previousSHA256", previousSHA256)
        line.field("sha256", sha256)
        line.field("error", error)
        if let authorities {
            line.field("authorities", objects: authorities) { o, authority in
                o.field("name", authority.name)
                o.field("fingerprints", authority.fingerprints)
            }
        }
        line.field("serial", serial)
        line.field("subject", subject)
        line.field("notAfter", notAfter)
        line.field("file", file)
        line.field("segment", segment)
        if let offset { line.field("offset", offset) }
        if let length { line.field("length", length) }
        line.field("since", since)
        if let failedWrites { line.field("failedWrites", failedWrites) }
        if let lines { line.field("lines", lines) }
        if let retainedFrom { line.field("retainedFrom", retainedFrom) }
        if let previousSeq { line.field("previousSeq", previousSeq) }
        if let previousTreeSize { line.field("previousTreeSize", previousTreeSize) }
        line.field("previousRoot", previousRoot)
        line.field("previousRun", previousRun)
        if let quarantinedLines { line.field("quarantinedLines", quarantinedLines) }
        line.field("peer", peer)
        if let refused { line.field("refused", refused) }
        if let seqs { line.field("seqs", seqs) }
        return line.members()
    }
}

extension ControlEvent {
    public static func serverStarted(
        version: String, build: String, configurationSHA256: String, modes: [ClassMode],
        recovery: AuditRecovery? = nil
    ) -> ControlEvent {
        var message =
            "portcullis \(version) started; enforcement: "
            + (modes.isEmpty ? "no classes" : modes.map { "\($0.dataClass)=\($0.mode)" }.joined(separator: ", "))
        if let recovery {
            message += "; " + recovery.summary
        }
        var event = ControlEvent(.serverStarted, message: message)
        event.version = version
        event.build = build
        event.configurationSHA256 = configurationSHA256
        event.modes = modes
        if let recovery {
            event.previousSeq = recovery.previousSeq
            event.previousTreeSize = recovery.previousTreeSize
            event.previousRoot = recovery.previousRoot?.hex
            event.previousRun = recovery.previousRun.rawValue
            event.quarantinedLines = UInt64(recovery.quarantinedLines)
        }
        return event
    }

    public static func serverStopped(reason: String) -> ControlEvent {
        ControlEvent(.serverStopped, message: "portcullis stopped: \(reason)")
    }

    public static func policyLoaded(path: String, sha256: String) -> ControlEvent {
        var event = ControlEvent(.policyLoaded, message: "policy \(path) loaded")
        event.path = path
        event.sha256 = sha256
        return event
    }

    public static func policyReloaded(path: String, previousSHA256: String, sha256: String) -> ControlEvent {
        var event = ControlEvent(.policyReloaded, message: "policy \(path) changed and is now in force")
        event.path = path
        event.previousSHA256 = previousSHA256
        event.sha256 = sha256
        return event
    }

    public static func policyRejected(path: String, activeSHA256: String, rejectedSHA256: String, error: String)
        -> ControlEvent
    {
        var event = ControlEvent(
            .policyRejected, message: "policy \(path) changed but is invalid; the previous policy stays in force")
        event.path = path
        event.previousSHA256 = activeSHA256
        event.sha256 = rejectedSHA256
        event.error = error
        return event
    }

    /// `changed` distinguishes the first set of authorities a process trusts from a later different one.
    public static func trustMaterial(_ authorities: [Authority], changed: Bool) -> ControlEvent {
        let keys = authorities.reduce(0) { $0 + $1.fingerprints.count }
        var event = ControlEvent(
            changed ? .trustMaterialChanged : .trustMaterialLoaded,
            message: "\(changed ? "trusted image signers changed" : "trusted image signers loaded"): "
                + "\(authorities.count) authorit\(authorities.count == 1 ? "y" : "ies"), \(keys) key(s)")
        event.authorities = authorities
        return event
    }

    public static func certificate(serial: String, subject: String, notAfter: String, rotated: Bool) -> ControlEvent {
        var event = ControlEvent(
            rotated ? .certificateRotated : .certificateLoaded,
            message: "TLS certificate \(rotated ? "rotated" : "loaded"): \(subject), serial \(serial), "
                + "valid until \(notAfter)")
        event.serial = serial
        event.subject = subject
        event.notAfter = notAfter
        return event
    }

    static func segmentRotated(closed: String, opened: String) -> ControlEvent {
        var event = ControlEvent(
            .segmentRotated, message: "audit segment \(closed) closed (to be gzip-compressed); \(opened) opened")
        event.file = closed
        event.segment = opened
        return event
    }

    static func tornTailQuarantined(file: String, segment: String, offset: Int64, bytes: [UInt8], sha256: String)
        -> ControlEvent
    {
        quarantine(
            .tornTailQuarantined, file: file, segment: segment, offset: offset, length: Int64(bytes.count),
            sha256: sha256,
            message: "\(bytes.count) bytes after the last whole line of \(segment) (a write cut off by a crash) "
                + "were moved to \(file); the chain continues from the last whole line")
    }

    static func uncoveredLinesQuarantined(
        file: String, segment: String, offset: Int64, length: Int64, lines: Int, sha256: String
    ) -> ControlEvent {
        var event = quarantine(
            .uncoveredLinesQuarantined, file: file, segment: segment, offset: offset, length: length, sha256: sha256,
            message: "\(lines) whole line(s) after the last signed checkpoint of \(segment) were moved to \(file): the "
                + "writer answers nothing before signing it, so these were never answered (a crash mid-batch) or "
                + "were written by someone else; the chain continues from the checkpoint")
        event.lines = UInt64(lines)
        return event
    }

    /// Bytes moved from `segment` at `offset` to the quarantine file `file`, and their SHA-256.
    private static func quarantine(
        _ kind: Kind, file: String, segment: String, offset: Int64, length: Int64, sha256: String, message: String
    ) -> ControlEvent {
        var event = ControlEvent(kind, message: message)
        event.file = file
        event.segment = segment
        event.offset = UInt64(offset)
        event.length = UInt64(length)
        event.sha256 = sha256
        return event
    }

    static func auditSegmentLost(lost: String, opened: String, reason: String) -> ControlEvent {
        var event = ControlEvent(
            .auditSegmentLost,
            message: "audit segment \(lost) disappeared while in use (\(reason)); decisions were refused until "
                + "\(opened) was opened; what \(lost) held is missing from this directory")
        event.file = lost
        event.segment = opened
        event.error = reason
        return event
    }

    static func retentionApplied(retainedFrom: UInt64, segments: Int) -> ControlEvent {
        var event = ControlEvent(
            .retentionApplied,
            message: "retention keeps \(segments) segment(s): the segments before seq \(retainedFrom) are removed")
        event.retainedFrom = retainedFrom
        return event
    }

    static func auditUnavailable(since: String, failedWrites: Int, error: String) -> ControlEvent {
        var event = ControlEvent(
            .auditUnavailable,
            message: "the audit log could not be written from \(since): \(failedWrites) write(s) failed and their "
                + "decisions were answered AuditUnavailable")
        event.since = since
        event.failedWrites = UInt64(failedWrites)
        event.error = error
        return event
    }

    /// Decision lines that reached the disk after their request's deadline: the request was answered
    /// AuditUnavailable (refused in a fail-closed class), so the decision on those lines never took effect.
    static func auditLateLines(_ seqs: [UInt64]) -> ControlEvent {
        var event = ControlEvent(
            .auditLateLines,
            message: "\(seqs.count) line(s) became durable after their callers' deadline; those requests were "
                + "answered AuditUnavailable, so their decisions did not take effect")
        event.seqs = seqs
        return event
    }

    static func auditRecovered(since: String) -> ControlEvent {
        var event = ControlEvent(
            .auditRecovered, message: "the audit log is writable again (unavailable since \(since))")
        event.since = since
        return event
    }
}
