import Compression
import Foundation
import PortcullisCrypto

/// Checks audit logs end to end: every `prev` link, sequence continuity, every checkpoint's
/// Merkle root and (given the reviewer's key) signature, across plain and gzip segments in order.
///
/// It streams: memory stays bounded however large the log, and the only per-line work is two
/// SHA-256 computations and a positional parse. On the first broken place it stops and says what
/// the evidence points to (edited, deleted, inserted, reordered, truncated, missing segment, forged).
public struct AuditVerifier: Sendable {
    /// The reviewer's copy of the signing key; without it signatures cannot be checked.
    public var key: Ed25519PublicKey?
    /// Treat lines after the last checkpoint as truncation (for a log that was closed cleanly).
    public var requireSealed: Bool
    /// A checkpoint obtained elsewhere (the stdout mirror, a witness): the log must contain its tree.
    public var externalCheckpoint: String?

    /// How many lines after a break are read to tell deletion, insertion and reordering apart.
    static let lookahead = 4096
    /// Oversized lines named in a report; the count covers the rest.
    static let oversizedKept = 100

    public init(key: Ed25519PublicKey? = nil, requireSealed: Bool = false, externalCheckpoint: String? = nil) {
        self.key = key
        self.requireSealed = requireSealed
        self.externalCheckpoint = externalCheckpoint
    }

    /// Verifies the logs found in `paths` (segment files, or directories of them). Throws only when
    /// input cannot be read at all; tampering is reported in the result.
    public func verify(paths: [String]) throws(AuditError) -> [AuditLogReport] {
        let external = try externalCheckpoint.map { text throws(AuditError) in try parseExternal(text) }
        return try AuditLogFiles.resolve(paths).map { (base, segments) throws(AuditError) in
            try verify(base: base, segments: segments, external: external)
        }
    }

    private func parseExternal(_ text: String) throws(AuditError) -> CheckpointNote {
        let bodyLines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if !text.contains("\n\n"), bodyLines.count == 3 || (bodyLines.count == 4 && bodyLines[3].isEmpty) {
            // An unsigned C2SP checkpoint body (origin, size, root) the reviewer wrote down: their own copy is
            // what they trust, so there is no signature to check.
            guard let size = UInt64(bodyLines[1]), let bytes = Data(base64Encoded: String(bodyLines[2])),
                let root = SHA256Digest(bytes: bytes)
            else { throw AuditError("the external checkpoint is not <origin>, <tree size>, <base64 root>") }
            return CheckpointNote(origin: String(bodyLines[0]), treeSize: size, root: root, signatures: [])
        }
        var noteText = text
        if text.hasPrefix("{") {
            struct Line: Decodable { var note: String }
            guard let line = try? JSONDecoder().decode(Line.self, from: Data(text.utf8)) else {
                throw AuditError("the external checkpoint is a JSON line without a \"note\" member")
            }
            noteText = line.note
        }
        let note = try CheckpointNote.parse(noteText)
        if let key {
            do { try note.verifySignature(with: key) } catch {
                throw AuditError("the external checkpoint is not trustworthy: \(error.message)")
            }
        }
        return note
    }

    private struct Break {
        var facts: ChainScanner.LineFacts
        var expected: UInt64
        var previous: SHA256Digest
        var previousPrev: SHA256Digest?
        var line: Int
        var atSegmentStart: Bool
        var segment: AuditSegment
        var following: [ChainScanner.LineFacts] = []
    }

    private func verify(base: String, segments: [AuditSegment], external: CheckpointNote?) throws(AuditError)
        -> AuditLogReport
    {
        let scanner = ChainScanner(key: key)
        var report = AuditLogReport(base: base, segments: segments.count, signaturesChecked: key != nil)
        var externalMatched = false
        func found(_ cause: AuditFinding.Cause, _ file: String, _ line: Int, _ seq: UInt64?, _ message: String)
            -> AuditLogReport
        {
            report.finding = AuditFinding(cause: cause, file: file, line: line, seq: seq, message: message)
            return finish(report, scanner)
        }
        for segment in segments {
            let reader = try LineReader(path: segment.path, compressed: segment.compressed)
            var lineNumber = 0
            var pendingBreak: Break?
            var finding: AuditFinding?
            let tail: LineReader.Tail?
            /// Records what the scanner said about one line; false stops reading the segment.
            func step(_ result: ChainScanner.Result, _ facts: () -> ChainScanner.LineFacts) -> Bool {
                switch result {
                case .ok:
                    if let external, !externalMatched, scanner.frontier.size == external.treeSize {
                        externalMatched = true
                        let root = scanner.currentRoot()
                        if root != external.root {
                            finding = AuditFinding(
                                cause: .edited, file: segment.path, line: lineNumber, seq: scanner.lastSeq,
                                message: "the external checkpoint signs root \(external.root.hex) for tree "
                                    + "size \(external.treeSize) but this log's first \(external.treeSize) lines "
                                    + "hash to \(root.hex): the log was rolled back and rewritten, or forked"
                            )
                            return false
                        }
                    }
                    return true
                case .chainBreak(let facts):
                    pendingBreak = Break(
                        facts: facts, expected: scanner.nextSeq, previous: scanner.prevHash,
                        previousPrev: scanner.prevOfLast,
                        line: lineNumber, atSegmentStart: lineNumber == 1, segment: segment)
                    return true
                case .finding(let cause, let message):
                    finding = AuditFinding(
                        cause: cause, file: segment.path, line: lineNumber, seq: facts().seq, message: message)
                    return false
                }
            }
            do {
                tail = try reader.forEachLine(
                    { line in
                        lineNumber += 1
                        report.bytes += Int64(line.count)
                        if pendingBreak != nil {
                            pendingBreak!.following.append(scanner.facts(of: line))
                            return pendingBreak!.following.count < AuditVerifier.lookahead
                        }
                        return step(scanner.consume(line)) { scanner.facts(of: line) }
                    },
                    oversized: { line in
                        lineNumber += 1
                        report.bytes += line.length
                        if pendingBreak != nil {
                            pendingBreak!.following.append(scanner.facts(of: line))
                            return pendingBreak!.following.count < AuditVerifier.lookahead
                        }
                        let facts = scanner.facts(of: line)
                        let result = scanner.consume(line)
                        if case .ok = result, report.oversizedLines.count < AuditVerifier.oversizedKept {
                            report.oversizedLines.append(
                                AuditLogReport.OversizedLine(
                                    file: segment.path, line: lineNumber, seq: facts.seq ?? 0, length: line.length))
                        }
                        return step(result) { facts }
                    })
            } catch let error as CompressionError {
                return found(
                    error.isTruncation ? .truncated : .edited, segment.path, lineNumber + 1, nil, error.message)
            } catch let error as AuditError {
                throw error
            } catch {
                throw AuditError("\(segment.path): \(error)")
            }
            if let pendingBreak {
                let (cause, message) = classify(pendingBreak)
                return found(cause, segment.path, pendingBreak.line, pendingBreak.facts.seq, message)
            }
            if let finding {
                report.finding = finding
                return finish(report, scanner)
            }
            if let tail {
                // Megabytes without a newline that do not even start like an audit line are not a log at all.
                if tail.length > AuditLineFormat.maximumLineBytes,
                    tail.bytes.withUnsafeBytes({ AuditLineFormat.parsePrefix($0) }) == nil
                {
                    throw AuditError(
                        "\(segment.path): \(tail.length) bytes at byte \(tail.offset) with no newline that do not start "
                            + "like an audit line; this is not an audit log")
                }
                return found(
                    .truncated, segment.path, lineNumber + 1, nil,
                    "the last line is cut off after \(tail.length) bytes with no newline (a crash mid-write, "
                        + "or the file was truncated); the writer quarantines it on its next start")
            }
        }
        if let first = scanner.firstSeq, first > scanner.retainedFrom {
            return found(
                .missingSegment, segments.first?.path ?? base, 1, first,
                "the log starts at seq \(first) but no signed retentionApplied line says the lines before it were "
                    + (scanner.retainedFrom > 1
                        ? "removed (retention covers only those before seq \(scanner.retainedFrom))"
                        : "removed by retention")
                    + ": the first segment(s) are missing")
        }
        if let external, !externalMatched {
            return found(
                .truncated, segments.last?.path ?? base, 0, nil,
                "the external checkpoint proves \(external.treeSize) lines but the log holds only \(scanner.frontier.size)"
            )
        }
        if requireSealed, !scanner.lastLineWasCheckpoint, scanner.lines > 0 {
            return found(
                .truncated, segments.last?.path ?? base, 0, scanner.lastSeq,
                "the log ends with \(scanner.leavesSinceCheckpoint) line(s) after its last checkpoint; a closed log ends "
                    + "with a checkpoint, so lines (and a checkpoint) were cut off")
        }
        return finish(report, scanner)
    }

    private func finish(_ report: AuditLogReport, _ scanner: ChainScanner) -> AuditLogReport {
        var report = report
        report.lines = scanner.lines
        report.unauthenticatedDecisions = scanner.unauthenticatedDecisions
        report.checkpoints = scanner.checkpoints
        report.treeSize = scanner.frontier.size
        report.firstSeq = scanner.firstSeq
        report.lastSeq = scanner.lines > 0 ? scanner.lastSeq : nil
        report.unsignedTail = scanner.lastLineWasCheckpoint ? 0 : scanner.leavesSinceCheckpoint
        report.oversizedCount = scanner.oversizedLines
        report.head = scanner.lastCheckpoint?.text
        return report
    }

    /// Whether the lines (up to eight) link to each other with consecutive sequence numbers.
    private func continuesChain(_ lines: ArraySlice<ChainScanner.LineFacts>) -> Bool {
        let window = lines.prefix(8)
        return zip(window, window.dropFirst()).allSatisfy { earlier, later in
            later.prev == earlier.hash && later.seq != nil && earlier.seq.map { $0 + 1 } == later.seq
        }
    }

    /// Names the cause of a chain break from the lines around it.
    private func classify(_ broken: Break) -> (AuditFinding.Cause, String) {
        let a = broken.expected - 1
        let following = broken.following
        // Lines were inserted if, once they are skipped, a later line continues the chain cleanly.
        for (index, candidate) in following.enumerated()
        where candidate.prev == broken.previous && candidate.seq == broken.expected
            && continuesChain(following[index...])
        {
            return (.inserted, "\(index + 1) line(s) not written by the writer were inserted after seq \(a)")
        }
        guard let seq = broken.facts.seq else {
            return (.edited, "the line is not a well-formed audit line")
        }
        if seq == a, broken.facts.prev == broken.previousPrev {
            return (
                .inserted,
                "two lines claim seq \(a) and link to the same predecessor; the first of them is not "
                    + "followed by its successor, so it was inserted"
            )
        }
        if seq == broken.expected {
            return (
                .edited,
                "line seq \(a) was changed after it was written: its hash no longer matches the prev "
                    + "recorded by seq \(seq) (or that prev was changed)"
            )
        }
        let laterSeqs = Set(following.compactMap(\.seq))
        if seq > broken.expected {
            let missing = broken.expected..<seq
            if missing.contains(where: laterSeqs.contains) {
                return (.reordered, "seq \(seq) follows seq \(a), and the lines between appear later in the file")
            }
            if broken.atSegmentStart {
                let expected = AuditSegment.fileName(
                    base: broken.segment.base, firstSeq: missing.lowerBound, compressed: false)
                return (
                    .missingSegment,
                    "lines \(missing.lowerBound)…\(missing.upperBound - 1) are absent before "
                        + "\(broken.segment.fileName): the segment holding them (\(expected), or its .gz) is missing "
                        + "or was cut short"
                )
            }
            return (
                .deleted,
                "lines \(missing.lowerBound)…\(missing.upperBound - 1) were removed (seq \(seq) follows seq \(a))"
            )
        }
        if laterSeqs.contains(broken.expected) {
            return (.reordered, "seq \(seq) appears after seq \(a); lines were moved")
        }
        return (.inserted, "a line claiming seq \(seq) appears after seq \(a): it repeats an earlier sequence number")
    }
}

/// What the verifier found in one log (one base name).
public struct AuditLogReport: Sendable {
    public var base: String
    public var segments: Int
    public var lines = 0
    public var bytes: Int64 = 0
    public var checkpoints = 0
    /// Decision and event lines (the Merkle leaves) seen.
    public var treeSize: UInt64 = 0
    public var firstSeq: UInt64?
    public var lastSeq: UInt64?
    /// Leaves after the last checkpoint: chained but not yet signed (normal for a live log).
    public var unsignedTail = 0
    /// Decisions whose caller presented no verified client certificate: intact, but anyone who could reach the
    /// webhook port may have asked for them.
    public var unauthenticatedDecisions = 0
    public var signaturesChecked: Bool
    public var finding: AuditFinding?
    /// Lines longer than the line limit (written before it existed): chained and hashed, but their content
    /// not read. The first `AuditVerifier.oversizedKept` are named; `oversizedCount` counts all.
    public var oversizedLines: [OversizedLine] = []
    public var oversizedCount = 0
    /// The last checkpoint that verified, as its signed C2SP note (origin, tree size, root, signature): the
    /// head a reviewer keeps and later passes to `--checkpoint` to detect a rollback or a fork.
    public var head: String?

    /// A line over the line limit that the chain was followed through.
    public struct OversizedLine: Sendable, Equatable {
        public var file: String
        public var line: Int
        public var seq: UInt64
        public var length: Int64
    }

    public var isIntact: Bool { finding == nil }
}
