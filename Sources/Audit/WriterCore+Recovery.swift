import Foundation
import Logging
import PortcullisCrypto

extension WriterCore {
    /// Recovers the chain head and Merkle frontier from the log on disk, then opens the current segment.
    ///
    /// Start-up reads only the tail: scanning begins at the last segment that opens with a checkpoint
    /// (every segment after the first does), whose stored frontier stands in for everything before it.
    /// The chain resumes at the last *signed* checkpoint: the writer answers nothing before signing, so
    /// whole lines after it were never answered (a crash mid-batch) or were added by someone else while it
    /// was stopped; they are moved to `quarantine/`, never signed in, and recorded.
    convenience init(
        configuration: AuditConfiguration, key: Ed25519PrivateKey, clock: @escaping @Sendable () -> Date,
        logger: Logger, shared: WriterShared
    ) throws(AuditError) {
        try FileSystem.createDirectory(configuration.directory)
        // A crash during compression leaves a partial `.gz.tmp` beside its intact plain segment.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: configuration.directory)) ?? []
        where name.hasPrefix(configuration.fileName + "-") && name.hasSuffix(".jsonl.gz.tmp") {
            unlink(configuration.directory + "/" + name)
        }
        let quarantine = configuration.directory + "/quarantine"
        var segments = try AuditSegment.list(directory: configuration.directory)[configuration.fileName] ?? []
        let now = clock()
        var torn: (file: String, offset: Int64, bytes: [UInt8])?
        if let current = segments.last, !current.compressed {
            torn = try WriterCore.quarantineTornTail(of: current.path, into: quarantine)
        }
        let scan = try WriterCore.scanTail(segments)
        var uncovered: [QuarantinedLines] = []
        if scan.uncoveredLines > 0 {
            uncovered = try WriterCore.quarantineUncovered(after: scan.end, of: segments, into: quarantine)
            segments = try AuditSegment.list(directory: configuration.directory)[configuration.fileName] ?? []
        }
        let current: AuditSegment
        if let last = segments.last, !last.compressed,
            try WriterCore.fileSize(last.path) > 0 || last.firstSeq == scan.nextSeq
        {
            current = last
        } else {
            if let last = segments.last, !last.compressed { unlink(last.path) }  // empty, misnamed leftover
            current = AuditSegment(
                directory: configuration.directory, base: configuration.fileName,
                firstSeq: scan.nextSeq, compressed: false)
        }
        let file = try configuration.openSegment(current.path)
        try configuration.syncDirectory(configuration.directory)
        self.init(
            configuration: configuration, key: key, clock: clock, logger: logger, shared: shared, file: file,
            segmentFirstSeq: current.firstSeq,
            segmentStarted: (try? WriterCore.firstLineTime(current)) ?? now)
        nextSeq = scan.nextSeq
        prevHash = scan.prevHash
        frontier = scan.frontier
        needsOpeningCheckpoint = file.size == 0 && current.firstSeq != 1
        recovery = AuditRecovery(
            previousSeq: scan.checkpointSeq, previousTreeSize: scan.checkpointSeq.map { _ in scan.frontier.size },
            previousRoot: scan.checkpointSeq.map { _ in scan.frontier.root(using: hasher) },
            previousRun: segments.isEmpty && uncovered.isEmpty ? .none : (scan.sealed ? .sealed : .crashed),
            quarantinedLines: uncovered.reduce(0) { $0 + $1.lines }, quarantinedTornBytes: torn?.bytes.count ?? 0)
        for closed in segments where !closed.compressed && closed.path != current.path {
            compressInBackground(closed.path)
        }
        if torn != nil || !uncovered.isEmpty {
            try recordQuarantine(torn: torn, uncovered: uncovered, segment: current.path, now: now)
        }
    }

    /// Appends (durably, before the writer serves anyone) the lines recording what was quarantined.
    private func recordQuarantine(
        torn: (file: String, offset: Int64, bytes: [UInt8])?, uncovered: [QuarantinedLines], segment: String, now: Date
    ) throws(AuditError) {
        var bytes: [UInt8] = []
        if needsOpeningCheckpoint { bytes += try checkpointLine(now: now) }
        if let torn {
            bytes += controlLine(
                now: now,
                .tornTailQuarantined(
                    file: torn.file, segment: segment, offset: torn.offset, bytes: torn.bytes,
                    sha256: SHA256.hex(of: torn.bytes)))
            logger.warning("audit log had a torn last line; quarantined", metadata: ["file": "\(torn.file)"])
        }
        for piece in uncovered {
            bytes += controlLine(
                now: now,
                .uncoveredLinesQuarantined(
                    file: piece.file, segment: piece.segment, offset: piece.offset, length: piece.length,
                    lines: piece.lines, sha256: piece.sha256))
            logger.warning(
                "audit log had lines no signed checkpoint covers; quarantined, not signed in",
                metadata: ["file": "\(piece.file)", "lines": "\(piece.lines)"])
        }
        bytes += try checkpointLine(now: now)
        try file.append(bytes)
        try file.sync()
    }

    /// If `path` does not end with a newline, copies the bytes after the last one to the quarantine
    /// directory (durably) and cuts them from the segment.
    static func quarantineTornTail(of path: String, into quarantine: String) throws(AuditError) -> (
        file: String, offset: Int64, bytes: [UInt8]
    )? {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw AuditError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let size = try fileSize(path)
        var end = size
        var tail: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while end > 0 {
            let start = max(0, end - Int64(chunk.count))
            let count = Int(end - start)
            guard chunk.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, count, off_t(start)) }) == count else {
                throw AuditError("reading the tail of \(path): \(String(cString: strerror(errno)))")
            }
            if let newline = chunk[0..<count].lastIndex(of: 0x0A) {
                tail = Array(chunk[(newline + 1)..<count]) + tail
                end = start + Int64(newline + 1)
                break
            }
            tail = Array(chunk[0..<count]) + tail
            end = start
            // An older writer had no line limit, so a line cut off by a crash can be long; this still bounds memory.
            guard tail.count <= 64 << 20 else {
                throw AuditError("\(path) ends with more than 64 MiB without a newline; this is not an audit log")
            }
        }
        guard !tail.isEmpty else { return nil }
        try FileSystem.createDirectory(quarantine)
        let name = quarantine + "/" + (path.split(separator: "/").last.map(String.init) ?? "segment") + ".\(end).torn"
        try FileSystem.writeDurably(tail, to: name)
        try FileSystem.syncDirectory(quarantine)
        guard ftruncate(fd, off_t(end)) == 0, fsync(fd) == 0 else {
            throw AuditError("cutting the torn tail from \(path): \(String(cString: strerror(errno)))")
        }
        return (name, end, tail)
    }

    /// The chain as its last signed checkpoint left it, and what follows that checkpoint.
    struct TailScan {
        var nextSeq: UInt64 = 1
        var prevHash = AuditLineFormat.genesis
        var frontier = MerkleFrontier()
        /// Seq of the last checkpoint; nil when the scanned lines hold none (a log that was never signed).
        var checkpointSeq: UInt64?
        /// Where the covered chain ends: the segment (index) and the byte offset just after that checkpoint.
        var end: (segment: Int, offset: Int64)
        /// Whole lines after it.
        var uncoveredLines = 0
        /// Whether the last leaf it covers is a `serverStopped` line: the run that wrote it closed cleanly.
        var sealed = false
    }

    /// Replays the log from the last segment that can anchor a scan (genesis or an opening checkpoint).
    static func scanTail(_ segments: [AuditSegment]) throws(AuditError) -> TailScan {
        var startIndex = 0
        for index in segments.indices.reversed() where try opensWithAnchor(segments[index]) {
            startIndex = index
            break
        }
        let scanner = ChainScanner(key: nil)
        var scan = TailScan(end: (startIndex, 0))
        var lastLeafWasStop = false
        let stop = Array(#""event":"serverStopped""#.utf8)
        for (index, segment) in segments.enumerated() where index >= startIndex {
            let reader = try LineReader(path: segment.path, compressed: segment.compressed)
            var lineNumber = 0
            var problem: String?
            let tail: LineReader.Tail?
            func step(_ result: ChainScanner.Result, isCheckpoint: Bool, isStop: Bool) -> Bool {
                switch result {
                case .ok:
                    if isCheckpoint {
                        scan.nextSeq = scanner.nextSeq
                        scan.prevHash = scanner.prevHash
                        scan.frontier = scanner.frontier
                        scan.checkpointSeq = scanner.lastSeq
                        scan.end = (index, reader.offset)
                        scan.uncoveredLines = 0
                        scan.sealed = lastLeafWasStop
                    } else {
                        scan.uncoveredLines += 1
                        lastLeafWasStop = isStop
                    }
                    return true
                case .chainBreak: problem = "the line does not continue the chain (prev or seq mismatch)"
                case .finding(let cause, let message): problem = "\(cause.rawValue): \(message)"
                }
                return false
            }
            do {
                // A line over the limit, from a writer before the limit, is followed by its hashes: it must
                // not keep the server from starting.
                tail = try reader.forEachLine(
                    { line in
                        lineNumber += 1
                        let type = AuditLineFormat.parsePrefix(line)?.type
                        return step(
                            scanner.consume(line), isCheckpoint: type == .checkpoint,
                            isStop: type == .control && line.firstRange(of: stop) != nil)
                    },
                    oversized: { line in
                        lineNumber += 1
                        return step(scanner.consume(line), isCheckpoint: false, isStop: false)
                    })
            } catch {
                throw AuditError("cannot read audit segment \(segment.path): \(error)")
            }
            if let problem {
                throw AuditError(
                    "the audit log does not verify at \(segment.path):\(lineNumber): \(problem). Refusing to "
                        + "extend it; run `portcullis audit verify` and move the damaged segments aside after investigation"
                )
            }
            if tail != nil {
                throw AuditError("\(segment.path) ends with a cut-off line but is not the current segment")
            }
        }
        return scan
    }

    /// A piece of the log moved to `quarantine/` because no signed checkpoint covers it.
    struct QuarantinedLines {
        var file: String
        var segment: String
        var offset: Int64
        var length: Int64
        var lines: Int
        var sha256: String
    }

    /// Moves everything after `end` aside: the rest of that segment (copied durably, then cut off) and any
    /// later segment whole. A closed (compressed) segment is never cut: that is damage to investigate.
    static func quarantineUncovered(
        after end: (segment: Int, offset: Int64), of segments: [AuditSegment], into quarantine: String
    ) throws(AuditError) -> [QuarantinedLines] {
        try FileSystem.createDirectory(quarantine)
        var pieces: [QuarantinedLines] = []
        for (index, segment) in segments.enumerated() where index >= end.segment {
            let offset = index == end.segment ? end.offset : 0
            guard !segment.compressed else {
                throw AuditError(
                    "\(segment.path) is a closed segment but holds lines no signed checkpoint covers; refusing to "
                        + "extend the log: run `portcullis audit verify` and investigate")
            }
            let bytes: [UInt8]
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: segment.path))
                bytes = Array(data.dropFirst(Int(offset)))
            } catch {
                throw AuditError("reading \(segment.path): \(error.localizedDescription)")
            }
            guard !bytes.isEmpty else { continue }
            let name = quarantine + "/" + segment.fileName + ".\(offset).uncovered"
            try FileSystem.writeDurably(bytes, to: name)
            try FileSystem.syncDirectory(quarantine)
            if offset > 0 {
                guard truncate(segment.path, off_t(offset)) == 0 else {
                    throw AuditError("cutting unsigned lines from \(segment.path): \(String(cString: strerror(errno)))")
                }
                let fd = open(segment.path, O_RDONLY | O_CLOEXEC)
                if fd >= 0 {
                    fsync(fd)
                    close(fd)
                }
            } else {
                unlink(segment.path)
            }
            pieces.append(
                QuarantinedLines(
                    file: name, segment: segment.path, offset: offset, length: Int64(bytes.count),
                    lines: bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }, sha256: SHA256.hex(of: bytes)))
        }
        return pieces
    }

    private static func opensWithAnchor(_ segment: AuditSegment) throws(AuditError) -> Bool {
        if segment.firstSeq == 1 { return true }
        let reader = try LineReader(path: segment.path, compressed: segment.compressed, bufferSize: 64 * 1024)
        var anchored = false
        _ = try? reader.forEachLine { line in
            anchored = AuditLineFormat.parsePrefix(line)?.type == .checkpoint
            return false
        }
        return anchored
    }

    private static func firstLineTime(_ segment: AuditSegment) throws -> Date? {
        struct Line: Decodable { var time: String }
        let reader = try LineReader(path: segment.path, compressed: segment.compressed, bufferSize: 64 * 1024)
        var time: Date?
        _ = try reader.forEachLine { line in
            time = (try? JSONDecoder().decode(Line.self, from: Data(line))).flatMap { RFC3339.parse($0.time) }
            return false
        }
        return time
    }

    static func fileSize(_ path: String) throws(AuditError) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw AuditError("cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        return Int64(info.st_size)
    }
}
