import Foundation
import Logging
import PortcullisCrypto

extension WriterCore {
    /// Recovers the chain head and Merkle frontier from the log on disk, then opens the current segment.
    ///
    /// Start-up reads only the tail: scanning begins at the last segment that opens with a checkpoint
    /// (every segment after the first does), whose stored frontier stands in for everything before it.
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
        let segments = try AuditSegment.list(directory: configuration.directory)[configuration.fileName] ?? []
        let now = clock()
        var quarantined: (file: String, offset: Int64, bytes: [UInt8])?
        if let current = segments.last, !current.compressed {
            quarantined = try WriterCore.quarantineTornTail(
                of: current.path, into: configuration.directory + "/quarantine")
        }
        let scanner = try WriterCore.scanTail(segments)
        let current: AuditSegment
        if let last = segments.last, !last.compressed,
            try WriterCore.fileSize(last.path) > 0 || last.firstSeq == scanner.nextSeq
        {
            current = last
        } else {
            if let last = segments.last, !last.compressed { unlink(last.path) }  // empty, misnamed leftover
            current = AuditSegment(
                directory: configuration.directory, base: configuration.fileName,
                firstSeq: scanner.nextSeq, compressed: false)
        }
        let file = try configuration.openSegment(current.path)
        FileSystem.syncDirectory(configuration.directory)
        self.init(
            configuration: configuration, key: key, clock: clock, logger: logger, shared: shared, file: file,
            segmentFirstSeq: current.firstSeq,
            segmentStarted: (try? WriterCore.firstLineTime(current)) ?? now)
        nextSeq = scanner.nextSeq
        prevHash = scanner.prevHash
        frontier = scanner.frontier
        leavesSinceCheckpoint = scanner.lastLineWasCheckpoint ? 0 : scanner.leavesSinceCheckpoint
        if leavesSinceCheckpoint > 0 { uncheckpointedSince = .now() }
        needsOpeningCheckpoint = file.size == 0 && current.firstSeq != 1
        for closed in segments where !closed.compressed && closed.path != current.path {
            compressInBackground(closed.path)
        }
        if let quarantined {
            try recordQuarantine(quarantined, segment: current.path, now: now)
        }
    }

    /// Appends (durably, before the writer serves anyone) the line recording a quarantined torn tail.
    private func recordQuarantine(_ q: (file: String, offset: Int64, bytes: [UInt8]), segment: String, now: Date)
        throws(AuditError)
    {
        var bytes: [UInt8] = []
        if needsOpeningCheckpoint { bytes += try checkpointLine(now: now) }
        bytes += controlLine(
            now: now,
            .tornTailQuarantined(
                file: q.file, segment: segment, offset: q.offset, bytes: q.bytes, sha256: SHA256.hex(of: q.bytes)))
        bytes += try checkpointLine(now: now)
        try file.append(bytes)
        try file.sync()
        logger.warning("audit log had a torn last line; quarantined", metadata: ["file": "\(q.file)"])
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
        FileSystem.syncDirectory(quarantine)
        guard ftruncate(fd, off_t(end)) == 0, fsync(fd) == 0 else {
            throw AuditError("cutting the torn tail from \(path): \(String(cString: strerror(errno)))")
        }
        return (name, end, tail)
    }

    /// Replays the log from the last segment that can anchor a scan (genesis or an opening checkpoint).
    static func scanTail(_ segments: [AuditSegment]) throws(AuditError) -> ChainScanner {
        var startIndex = 0
        for index in segments.indices.reversed() where try opensWithAnchor(segments[index]) {
            startIndex = index
            break
        }
        let scanner = ChainScanner(key: nil)
        for segment in segments[startIndex...] {
            let reader = try LineReader(path: segment.path, compressed: segment.compressed)
            var lineNumber = 0
            var problem: String?
            let tail: LineReader.Tail?
            do {
                func step(_ result: ChainScanner.Result) -> Bool {
                    switch result {
                    case .ok: return true
                    case .chainBreak: problem = "the line does not continue the chain (prev or seq mismatch)"
                    case .finding(let cause, let message): problem = "\(cause.rawValue): \(message)"
                    }
                    return false
                }
                // A line over the limit, from a writer before the limit, is followed by its hashes: it must
                // not keep the server from starting.
                tail = try reader.forEachLine(
                    { line in
                        lineNumber += 1
                        return step(scanner.consume(line))
                    },
                    oversized: { line in
                        lineNumber += 1
                        return step(scanner.consume(line))
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
        return scanner
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
