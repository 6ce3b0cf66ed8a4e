import Foundation
import JSONText
import PortcullisCrypto

/// Follows an audit chain line by line: `prev` links, sequence numbers, the Merkle frontier and
/// every checkpoint. The verifier drives it over a whole log; the writer drives it over the tail
/// on start-up to recover its state. It keeps O(log n) state however long the log is.
final class ChainScanner {
    /// Where the scanner is, for messages.
    struct Position {
        var file: String
        var line: Int
    }

    /// What one line said about itself, kept for classifying a break.
    struct LineFacts {
        var seq: UInt64?
        var prev: SHA256Digest?
        var hash: SHA256Digest
    }

    enum Result {
        case ok
        /// The line does not continue the chain (`prev` or `seq` mismatch); the caller classifies it.
        case chainBreak(LineFacts)
        case finding(AuditFinding.Cause, String)
    }

    private let hasher = SHA256()
    private let key: Ed25519PublicKey?

    /// False until the first line: a log whose earlier segments were removed by retention is
    /// anchored at its first checkpoint instead of at the genesis value.
    private(set) var anchored = false
    private(set) var nextSeq: UInt64 = 1
    private(set) var prevHash = AuditLineFormat.genesis
    /// The `prev` of the last line consumed (the hash of the line before it), to spot two lines claiming one predecessor.
    private(set) var prevOfLast: SHA256Digest?
    private var prevHex = Array(AuditLineFormat.genesis.hex.utf8)
    private(set) var frontier = MerkleFrontier()
    private(set) var lines = 0
    private(set) var checkpoints = 0
    private(set) var firstSeq: UInt64?
    private(set) var lastCheckpointSeq: UInt64?
    /// The last checkpoint that verified: the head a reviewer pins.
    private(set) var lastCheckpoint: CheckpointNote?
    private(set) var leavesSinceCheckpoint = 0
    private(set) var lastLineWasCheckpoint = false
    /// The highest `retainedFrom` of the `retentionApplied` lines seen: segments before it were removed on purpose.
    private(set) var retainedFrom: UInt64 = 1
    private static let retentionEvent = Array(#""event":"retentionApplied""#.utf8)
    /// The writer's encoding of an unauthenticated caller. Quotes inside JSON strings are escaped, so these bytes
    /// occur only as the `caller` member itself, never inside a name or a message.
    private static let unauthenticatedCaller = Array(#""caller":{"auth":"unauthenticated""#.utf8)
    /// Decision lines whose caller presented no verified client certificate.
    private(set) var unauthenticatedDecisions = 0
    /// Lines over `AuditLineFormat.maximumLineBytes` followed (written before the limit existed).
    private(set) var oversizedLines = 0

    init(key: Ed25519PublicKey?) {
        self.key = key
    }

    /// The seq the writer expects to use next and the hash of the last line, for resuming writes.
    var lastSeq: UInt64 { nextSeq - 1 }

    func currentRoot() -> SHA256Digest { frontier.root(using: hasher) }

    func facts(of line: UnsafeRawBufferPointer) -> LineFacts {
        let prefix = AuditLineFormat.parsePrefix(line)
        let prev = prefix.flatMap { p in
            SHA256Digest(
                hex: String(
                    decoding: UnsafeRawBufferPointer(rebasing: line[p.prevOffset..<p.prevOffset + 64]), as: UTF8.self))
        }
        return LineFacts(seq: prefix?.seq, prev: prev, hash: hasher.digest(line))
    }

    func facts(of line: LineReader.OversizedLine) -> LineFacts {
        let prefix = line.head.withUnsafeBytes { AuditLineFormat.parsePrefix($0) }
        let prev = prefix.flatMap { p in
            SHA256Digest(hex: String(decoding: line.head[p.prevOffset..<p.prevOffset + 64], as: UTF8.self))
        }
        return LineFacts(seq: prefix?.seq, prev: prev, hash: line.hash)
    }

    /// Follows the chain over a line too long to hold (written before the line limit): it is linked and
    /// counted as a leaf from its streamed hashes, and remembered so the reader can report it.
    func consume(_ line: LineReader.OversizedLine) -> Result {
        line.head.withUnsafeBytes { head in
            guard let prefix = AuditLineFormat.parsePrefix(head), prefix.version == AuditLineFormat.version else {
                return .finding(
                    .edited, "a \(line.length)-byte line is not a well-formed v\(AuditLineFormat.version) audit line")
            }
            guard prefix.type != .checkpoint else {
                return .finding(.edited, "a \(line.length)-byte checkpoint line: no writer ever wrote one that long")
            }
            if case .finding(let cause, let message) = link(head, prefix) { return .finding(cause, message) }
            if anchored, memcmp(head.baseAddress! + prefix.prevOffset, prevHex, 64) != 0 || prefix.seq != nextSeq {
                return .chainBreak(facts(of: line))
            }
            frontier.append(leafHash: line.leafHash, using: hasher)
            leavesSinceCheckpoint += 1
            lastLineWasCheckpoint = false
            oversizedLines += 1
            advance(seq: prefix.seq, hash: line.hash)
            return .ok
        }
    }

    func consume(_ line: UnsafeRawBufferPointer) -> Result {
        guard let prefix = AuditLineFormat.parsePrefix(line), prefix.version == AuditLineFormat.version else {
            return .finding(.edited, "the line is not a well-formed v\(AuditLineFormat.version) audit line")
        }
        if case .finding(let cause, let message) = link(line, prefix) { return .finding(cause, message) }
        if anchored, memcmp(line.baseAddress! + prefix.prevOffset, prevHex, 64) != 0 || prefix.seq != nextSeq {
            return .chainBreak(facts(of: line))
        }
        let lineHash = hasher.digest(line)
        if prefix.type == .checkpoint {
            if case .finding(let cause, let message) = checkCheckpoint(line, seq: prefix.seq) {
                return .finding(cause, message)
            }
            checkpoints += 1
            lastCheckpointSeq = prefix.seq
            leavesSinceCheckpoint = 0
            lastLineWasCheckpoint = true
        } else {
            frontier.append(leafHash: MerkleFrontier.leafHash(line, using: hasher), using: hasher)
            leavesSinceCheckpoint += 1
            lastLineWasCheckpoint = false
            if prefix.type == .decision, line.firstRange(of: ChainScanner.unauthenticatedCaller) != nil {
                unauthenticatedDecisions += 1
            }
            if prefix.type == .control, line.firstRange(of: ChainScanner.retentionEvent) != nil {
                struct Retention: Decodable { var retainedFrom: UInt64 }
                if let retention = try? JSONDecoder().decode(Retention.self, from: Data(line)) {
                    retainedFrom = max(retainedFrom, retention.retainedFrom)
                }
            }
        }
        advance(seq: prefix.seq, hash: lineHash)
        return .ok
    }

    /// Checks how the first line of a scan may start: at genesis, or (retention) on a checkpoint.
    private func link(_ line: UnsafeRawBufferPointer, _ prefix: AuditLineFormat.Prefix) -> Result {
        guard !anchored else { return .ok }
        let linked = memcmp(line.baseAddress! + prefix.prevOffset, prevHex, 64) == 0
        if prefix.seq == 1 {
            guard linked else {
                return .finding(.edited, "the first line of the chain does not carry the genesis prev (64 zeros)")
            }
        } else {
            guard prefix.type == .checkpoint else {
                return .finding(
                    .deleted,
                    "the log starts at seq \(prefix.seq) with no checkpoint to anchor it: earlier lines are missing")
            }
        }
        return .ok
    }

    private func advance(seq: UInt64, hash: SHA256Digest) {
        if firstSeq == nil { firstSeq = seq }
        anchored = true
        prevOfLast = prevHash
        prevHash = hash
        prevHex.withUnsafeMutableBytes { hash.writeHex(into: $0) }
        nextSeq = seq + 1
        lines += 1
    }

    /// The members of a checkpoint line beyond the common prefix.
    private struct CheckpointLine: Decodable {
        var treeSize: UInt64
        var frontier: [String]
        var note: String
    }

    /// True when `line` is exactly the bytes whose SHA-256 is `digest`, then `,"note":` with `note` as the writer
    /// encodes it, `}` and the newline: nothing before the note differs from what it signs, nothing follows it.
    private static func line(_ line: UnsafeRawBufferPointer, endsWithNote note: String, prefixHashing digest: String)
        -> Bool
    {
        var suffix = Array(#","note":"#.utf8)
        JSONWriter.appendQuoted(note, to: &suffix)
        suffix += [UInt8(ascii: "}"), UInt8(ascii: "\n")]
        guard line.count >= suffix.count, line.suffix(suffix.count).elementsEqual(suffix) else { return false }
        return SHA256.hex(of: Array(line.prefix(line.count - suffix.count))) == digest
    }

    private func checkCheckpoint(_ line: UnsafeRawBufferPointer, seq: UInt64) -> Result {
        let decoded: CheckpointLine
        let note: CheckpointNote
        do {
            decoded = try JSONDecoder().decode(CheckpointLine.self, from: Data(line))
            note = try CheckpointNote.parse(decoded.note)
        } catch let error as AuditError {
            return .finding(.edited, "the checkpoint is malformed: \(error.message)")
        } catch {
            return .finding(.edited, "the checkpoint line is not valid JSON: \(error)")
        }
        if !anchored {
            // Anchoring on a checkpoint: its stored frontier must reproduce the signed root.
            let hashes = decoded.frontier.compactMap { SHA256Digest(hex: $0) }
            guard hashes.count == decoded.frontier.count, decoded.treeSize == note.treeSize,
                let restored = MerkleFrontier(size: note.treeSize, hashes: hashes),
                restored.root(using: hasher) == note.root
            else { return .finding(.edited, "the checkpoint's stored frontier does not reproduce its signed root") }
            frontier = restored
        }
        if let key {
            do { try note.verifySignature(with: key) } catch {
                return .finding(
                    .forgedCheckpoint, "the checkpoint for tree size \(note.treeSize) is forged: \(error.message)")
            }
        }
        if note.treeSize != frontier.size {
            let cause: AuditFinding.Cause = note.treeSize > frontier.size ? .deleted : .inserted
            return .finding(
                cause,
                "the checkpoint covers \(note.treeSize) lines but \(frontier.size) precede it; "
                    + "lines were \(cause == .deleted ? "removed" : "added") and the chain recomputed")
        }
        let root = frontier.root(using: hasher)
        defer { if root == note.root { lastCheckpoint = note } }
        guard root == note.root else {
            return .finding(
                .edited,
                "the checkpoint for tree size \(note.treeSize) signs root \(note.root.hex) but the lines "
                    + "before it hash to \(root.hex): lines were changed and the chain recomputed")
        }
        // Last, so a rewritten chain is named as such; this catches edits to the checkpoint line itself.
        if let signed = note.signedLinePrefix, !Self.line(line, endsWithNote: decoded.note, prefixHashing: signed) {
            return .finding(
                .edited,
                "the checkpoint line for tree size \(note.treeSize) was changed outside its note "
                    + "(time, chain, frontier or spelling differ from what the note signs)")
        }
        return .ok
    }
}
