import Compression
import Dispatch
import Foundation
import Logging
import PortcullisCrypto

/// The writer thread's state: the open segment, the chain head, the Merkle frontier.
///
/// `@unchecked Sendable`: after `init` returns, only the writer thread touches this object
/// (`AuditWriter` hands it to the thread and keeps no reference), so nothing here is shared.
final class WriterCore: @unchecked Sendable {
    let configuration: AuditConfiguration
    let key: Ed25519PrivateKey
    let clock: @Sendable () -> Date
    let logger: Logger
    let shared: WriterShared
    let hasher = SHA256()

    var file: any SegmentFile
    var segmentFirstSeq: UInt64
    var segmentStarted: Date
    var nextSeq: UInt64 = 1
    var prevHash = AuditLineFormat.genesis
    var frontier = MerkleFrontier()
    var leavesSinceCheckpoint = 0
    /// Set when the current segment is empty and must open with a checkpoint (every segment but the first
    /// does), so a verifier given only later segments can anchor on it.
    var needsOpeningCheckpoint = false
    /// Decisions refused (answered AuditUnavailable) since the last success, and the first failure's time and
    /// message, for the recovery line. Retries without decisions do not count: the line says what callers saw.
    var refusedDecisions = 0
    var firstFailure: (Date, String)?
    var lastFailureAt = DispatchTime.now()
    /// Set when a failed batch could not be cut back off the file; the next write must do it first.
    var repairSize: Int64?
    /// The rotation to record in the next batch that reaches the disk (right after the new segment's opening
    /// checkpoint), kept until then so a failed batch does not lose it.
    var pendingRotation: ControlEvent?
    /// What start-up found in the existing log (previous head, how that run ended, what was quarantined).
    var recovery = AuditRecovery(
        previousSeq: nil, previousTreeSize: nil, previousRoot: nil, previousRun: .none, quarantinedLines: 0,
        quarantinedTornBytes: 0)
    /// Set when the open segment was found deleted or replaced: why, and when. Batches are refused until a
    /// retry interval later a new segment is opened in its place (never the deleted file).
    var lostSegment: (reason: String, at: DispatchTime)?
    /// Decision lines of the last batch that became durable after their callers gave up; recorded by the next.
    var lateSeqs: [UInt64] = []
    /// Segments retention removes once the line recording it (`pendingRotation`'s batch) is durable.
    var pendingRetirement: (event: ControlEvent, paths: [String])?
    /// Closed segments are compressed, and retention applied, one at a time in order, so retention
    /// never races a compression of the segment it removes.
    let compressions = DispatchQueue(label: "audit-compression")

    init(
        configuration: AuditConfiguration, key: Ed25519PrivateKey, clock: @escaping @Sendable () -> Date,
        logger: Logger,
        shared: WriterShared, file: any SegmentFile, segmentFirstSeq: UInt64, segmentStarted: Date
    ) {
        self.configuration = configuration
        self.key = key
        self.clock = clock
        self.logger = logger
        self.shared = shared
        self.file = file
        self.segmentFirstSeq = segmentFirstSeq
        self.segmentStarted = segmentStarted
    }

    func run() {
        WriterCore.nameThread("audit-writer")
        while true {
            _ = shared.wake.wait(timeout: nextDeadline())
            let (lines, closing) = shared.take()
            let retryDue = !shared.healthy && DispatchTime.now() >= lastFailureAt + configuration.retryInterval
            if !lines.isEmpty || retryDue || closing || !lateSeqs.isEmpty {
                writeBatch(lines)
            } else if shared.healthy, lostSegment == nil {
                // Idle: look at the segment anyway, so a deleted log turns /readyz unready without traffic.
                do { try file.checkInPlace() } catch {
                    lostSegment = (error.message, .now())
                    fail([], error)
                }
            }
            if closing {
                file.close()
                compressions.sync {}
                return
            }
        }
    }

    /// Names the calling thread for the kernel (`/proc/PID/task/*/comm`, `top -H`), so the writer's CPU can be
    /// told apart from the server's (bench/run.sh audit reads it). Foundation's `Thread.name` does not reach
    /// the kernel on Linux, and `pthread_setname_np` is not imported; a thread may write its own `comm`. Best
    /// effort: without /proc the thread keeps the process's name.
    private static func nameThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = Array(name.utf8.prefix(15)).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    private func nextDeadline() -> DispatchTime {
        shared.healthy ? .now() + configuration.retryInterval : lastFailureAt + configuration.retryInterval
    }

    /// Chain state saved before a batch, restored if the batch fails so the chain never includes
    /// a line that did not reach the disk.
    private struct Snapshot {
        var nextSeq: UInt64
        var prevHash: SHA256Digest
        var frontier: MerkleFrontier
        var leavesSinceCheckpoint: Int
        var needsOpeningCheckpoint: Bool
    }

    private func snapshot() -> Snapshot {
        Snapshot(
            nextSeq: nextSeq, prevHash: prevHash, frontier: frontier, leavesSinceCheckpoint: leavesSinceCheckpoint,
            needsOpeningCheckpoint: needsOpeningCheckpoint)
    }

    private func restore(_ s: Snapshot) {
        nextSeq = s.nextSeq
        prevHash = s.prevHash
        frontier = s.frontier
        leavesSinceCheckpoint = s.leavesSinceCheckpoint
        needsOpeningCheckpoint = s.needsOpeningCheckpoint
    }

    /// Writes one group-commit batch: the pending lines (plus a recovery line after failures) and a signed
    /// checkpoint over them, in one write and one sync; then completes every waiting caller. So every answer
    /// leaves covered by a signed checkpoint (mirrored to stdout when enabled): there is no unsigned tail
    /// to cut, and whole lines after the last checkpoint on disk were never answered.
    func writeBatch(_ lines: [PendingLine]) {
        let now = clock()
        do {
            try replaceLostSegment(now: now)
            try rotateIfNeeded(now: now)
        } catch {
            fail(lines, error)
            return
        }
        let saved = snapshot()
        let time = RFC3339.format(now)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines.count * 700 + 1024)
        do {
            if needsOpeningCheckpoint { bytes += try checkpointLine(now: now) }
            if let rotation = pendingRotation { bytes += controlLine(now: now, rotation) }
            if let retirement = pendingRetirement { bytes += controlLine(now: now, retirement.event) }
            if !lateSeqs.isEmpty { bytes += controlLine(now: now, .auditLateLines(lateSeqs)) }
            if let (since, message) = firstFailure {
                let sinceText = RFC3339.format(since)
                bytes += controlLine(
                    now: now, .auditUnavailable(since: sinceText, failedWrites: refusedDecisions, error: message))
                bytes += controlLine(now: now, .auditRecovered(since: sinceText))
            }
            var written: [(seq: UInt64, hash: SHA256Digest)] = []
            written.reserveCapacity(lines.count)
            for line in lines {
                let seq = nextSeq
                var json = AuditLineFormat.begin(
                    seq: nextSeq, prev: prevHash, type: line.type, time: time,
                    chain: configuration.chainID)
                json.append(members: line.members)
                appendLeaf(AuditLineFormat.end(json), to: &bytes)
                written.append((seq, prevHash))
            }
            // The checkpoint below signs exactly this tree: the head every line of the batch is anchored to.
            let signed = (size: frontier.size, root: frontier.root(using: hasher))
            if leavesSinceCheckpoint > 0 { bytes += try checkpointLine(now: now, head: signed) }
            if !bytes.isEmpty { try commit(bytes) }
            refusedDecisions = 0
            firstFailure = nil
            pendingRotation = nil
            if let retirement = pendingRetirement {
                // Only now is the retention boundary on disk and signed; the deletion may follow.
                retire(retirement.paths)
                pendingRetirement = nil
            }
            shared.setHealthy(true)
            // The mirror first: an answer must never leave before the checkpoint that signs it has a second copy.
            if configuration.mirrorToStdout { mirror(bytes) }
            lateSeqs.removeAll()
            for (line, (seq, hash)) in zip(lines, written) {
                let anchor = AuditAnchor(
                    chain: configuration.chainID, seq: seq, lineSHA256: hash, treeSize: signed.size, root: signed.root)
                if line.complete(.success(anchor)) && line.type == .decision { lateSeqs.append(seq) }
            }
        } catch {
            restore(saved)
            fail(lines, error)
        }
    }

    private func fail(_ lines: [PendingLine], _ error: AuditError) {
        refusedDecisions += lines.count { $0.type == .decision }
        if firstFailure == nil { firstFailure = (clock(), error.message) }
        lastFailureAt = DispatchTime.now()
        if shared.healthy {
            logger.error(
                "audit log write failed; decisions are answered AuditUnavailable until it recovers",
                metadata: ["error": "\(error.message)"])
        }
        shared.setHealthy(false)
        for line in lines { line.complete(.failure(error)) }
    }

    /// Writes and syncs `bytes`; on failure cuts the file back so no partial line stays behind.
    private func commit(_ bytes: [UInt8]) throws(AuditError) {
        if let size = repairSize {
            try file.truncate(to: size)
            repairSize = nil
        }
        let before = file.size
        do {
            try file.append(bytes)
        } catch {
            do { try file.truncate(to: before) } catch { repairSize = before }
            if error.errno == EIO { abandonSegment(after: error) }
            throw error
        }
        do {
            try file.sync()
        } catch {
            do { try file.truncate(to: before) } catch { repairSize = before }
            abandonSegment(after: error)
            throw error
        }
    }

    /// After `fdatasync` fails (or a write reports EIO) the kernel may already have dropped the dirty pages and
    /// cleared the error, so a retried sync on the same descriptor can report success for lost data ("fsyncgate").
    /// The segment is never written to again: the next batch opens a new one, and the line recording the loss
    /// names this error. The failed batch itself was refused to its callers.
    private func abandonSegment(after error: AuditError) {
        guard lostSegment == nil else { return }
        lostSegment = ("\(error.message); the segment is not written to again", .now())
        logger.error(
            "audit segment abandoned after a failed sync; the next batch opens a new segment",
            metadata: ["error": "\(error.message)"])
    }

    func appendLeaf(_ line: [UInt8], to bytes: inout [UInt8]) {
        line.withUnsafeBytes { raw in
            frontier.append(leafHash: MerkleFrontier.leafHash(raw, using: hasher), using: hasher)
            prevHash = hasher.digest(raw)
        }
        nextSeq += 1
        leavesSinceCheckpoint += 1
        bytes += line
    }

    /// A control line the writer records about itself (rotation, quarantine, outage).
    func controlLine(now: Date, _ event: ControlEvent) -> [UInt8] {
        var json = AuditLineFormat.begin(
            seq: nextSeq, prev: prevHash, type: .control, time: RFC3339.format(now),
            chain: configuration.chainID)
        json.append(members: event.encodedMembers())
        var bytes: [UInt8] = []
        appendLeaf(AuditLineFormat.end(json), to: &bytes)
        return bytes
    }

    /// A signed checkpoint over every leaf so far, carrying the frontier so a restart never re-reads the log.
    func checkpointLine(now: Date, head: (size: UInt64, root: SHA256Digest)? = nil) throws(AuditError) -> [UInt8] {
        let head = head ?? (frontier.size, frontier.root(using: hasher))
        var json = AuditLineFormat.begin(
            seq: nextSeq, prev: prevHash, type: .checkpoint, time: RFC3339.format(now),
            chain: configuration.chainID)
        json.field("treeSize", frontier.size)
        json.field("frontier", frontier.hashes.map(\.hex))
        // The note signs the line's bytes so far too: nothing after the last line would chain them.
        let note = try CheckpointNote.signed(
            origin: configuration.origin, treeSize: head.size, root: head.root,
            extensions: [CheckpointNote.linePrefixExtension(json.bytes)], key: key)
        json.field("note", note.text)
        let line = AuditLineFormat.end(json)
        prevHash = line.withUnsafeBytes { hasher.digest($0) }
        nextSeq += 1
        leavesSinceCheckpoint = 0
        needsOpeningCheckpoint = false
        return line
    }

    private func mirror(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                logger.warning("audit stdout mirror failed", metadata: ["error": "\(String(cString: strerror(errno)))"])
                return
            }
            offset += n
        }
    }

    // MARK: A segment deleted or replaced under the writer

    /// Checks the open segment is still in place; once it was found lost, refuses batches for a retry
    /// interval, then opens a new segment at the next seq (recreating the directory) and records the loss
    /// after its opening checkpoint. A file already at that path is not Portcullis's: it is never appended to.
    private func replaceLostSegment(now: Date) throws(AuditError) {
        if lostSegment == nil {
            do { try file.checkInPlace() } catch {
                lostSegment = (error.message, .now())
                logger.error(
                    "audit segment lost; decisions are answered AuditUnavailable",
                    metadata: ["error": "\(error.message)"])
                throw error
            }
            return
        }
        guard let lost = lostSegment else { return }
        guard DispatchTime.now() >= lost.at + configuration.retryInterval else { throw AuditError(lost.reason) }
        try FileSystem.createDirectory(configuration.directory)
        let path = segmentPath(firstSeq: nextSeq, compressed: false)
        guard !FileManager.default.fileExists(atPath: path) else {
            throw AuditError("\(lost.reason); \(path) already exists and was not written by this writer")
        }
        let next = try configuration.openSegment(path)
        do { try configuration.syncDirectory(configuration.directory) } catch {
            // Not kept: a retry must find the path free, and no line went into it.
            next.close()
            unlink(path)
            throw error
        }
        let closed = segmentPath(firstSeq: segmentFirstSeq, compressed: false)
        file.close()
        file = next
        // A cut-back the abandoned file still owed stays there: the new segment starts clean.
        repairSize = nil
        segmentFirstSeq = nextSeq
        segmentStarted = now
        needsOpeningCheckpoint = nextSeq != 1
        pendingRotation = .auditSegmentLost(lost: closed, opened: path, reason: lost.reason)
        lostSegment = nil
        logger.warning("audit segment replaced after a loss", metadata: ["segment": "\(path)"])
    }

    // MARK: Rotation

    private func rotateIfNeeded(now: Date) throws(AuditError) {
        guard file.size > 0, repairSize == nil,
            file.size >= configuration.rotateBytes || now.timeIntervalSince(segmentStarted) >= configuration.rotateAge
        else { return }
        let next = try configuration.openSegment(segmentPath(firstSeq: nextSeq, compressed: false))
        do { try configuration.syncDirectory(configuration.directory) } catch {
            next.close()
            throw error
        }
        let closed = segmentPath(firstSeq: segmentFirstSeq, compressed: false)
        pendingRotation = .segmentRotated(
            closed: closed, opened: segmentPath(firstSeq: nextSeq, compressed: false))
        file.close()
        file = next
        segmentFirstSeq = nextSeq
        segmentStarted = now
        needsOpeningCheckpoint = true
        logger.info("audit segment rotated", metadata: ["closed": "\(closed)"])
        compressInBackground(closed)
        planRetention()
    }

    /// With `retainSegments`, picks the oldest segments to remove and the control line that records the new
    /// first sequence number; both wait for the next durable batch, so the boundary is signed before any
    /// file goes and `audit verify` can tell retention from deletion.
    private func planRetention() {
        guard configuration.retainSegments > 0,
            var segments = try? AuditSegment.list(directory: configuration.directory)[configuration.fileName]
        else { return }
        if !segments.contains(where: { $0.firstSeq == segmentFirstSeq }) {
            segments.append(
                AuditSegment(
                    directory: configuration.directory, base: configuration.fileName, firstSeq: segmentFirstSeq,
                    compressed: false))
        }
        guard segments.count > configuration.retainSegments else { return }
        let removed = segments.prefix(segments.count - configuration.retainSegments)
        let kept = segments[segments.count - configuration.retainSegments]
        pendingRetirement = (
            .retentionApplied(retainedFrom: kept.firstSeq, segments: configuration.retainSegments),
            removed.flatMap {
                [
                    segmentPath(firstSeq: $0.firstSeq, compressed: false),
                    segmentPath(firstSeq: $0.firstSeq, compressed: true),
                ]
            }
        )
    }

    /// Removes retired segments, after any compression queued before (which may be writing one of them).
    private func retire(_ paths: [String]) {
        let directory = configuration.directory
        let logger = logger
        compressions.async {
            for path in paths where unlink(path) == 0 {
                logger.info("audit segment removed by retention", metadata: ["segment": "\(path)"])
            }
            // The removal is recorded and signed already; a lost directory sync only means a crash may bring
            // the files back, which verify reads as retained segments.
            do { try FileSystem.syncDirectory(directory) } catch {
                logger.warning("audit directory sync after retention failed", metadata: ["error": "\(error)"])
            }
        }
    }

    func segmentPath(firstSeq: UInt64, compressed: Bool) -> String {
        configuration.directory + "/"
            + AuditSegment.fileName(base: configuration.fileName, firstSeq: firstSeq, compressed: compressed)
    }

    /// Compresses a closed segment (temporary file, fsync, rename, then unlink the plain one). A crash at
    /// any step leaves either the plain file or both; readers prefer the plain one.
    func compressInBackground(_ path: String) {
        let directory = configuration.directory
        let logger = logger
        compressions.async {
            do {
                try Gzip.compressFile(path, to: path + ".gz.tmp")
                guard rename(path + ".gz.tmp", path + ".gz") == 0 else {
                    throw CompressionError("renaming \(path).gz.tmp: \(String(cString: strerror(errno)))")
                }
                try FileSystem.syncDirectory(directory)
                unlink(path)
                try FileSystem.syncDirectory(directory)
            } catch {
                unlink(path + ".gz.tmp")
                logger.warning(
                    "audit segment left uncompressed", metadata: ["segment": "\(path)", "error": "\(error)"])
            }
        }
    }
}
