import Compression
import Foundation
import PortcullisCrypto

/// Reads a plain or gzip audit segment line by line in bounded memory.
///
/// Lines are handed out as views into one reusable buffer (valid only during the callback), so
/// verifying a gigabyte allocates nothing per line. A final line without a newline is reported
/// separately: it is a torn write or a truncation, never a record. A line longer than
/// `AuditLineFormat.maximumLineBytes` (an older writer had no limit) is never held whole: it is
/// hashed as it streams past and handed out as an `OversizedLine`, so the chain can still be followed.
package final class LineReader {
    /// An over-long line: its start (enough for the positional prefix), its length and its hashes.
    package struct OversizedLine {
        /// The first bytes of the line, at most `headBytes`.
        package var head: [UInt8]
        package var length: Int64
        /// Byte offset of the line in the (decompressed) segment.
        package var offset: Int64
        /// SHA-256 of the whole line including its newline: what the next line's `prev` names.
        package var hash: SHA256Digest
        /// RFC 6962 leaf hash, SHA-256(0x00 ‖ line).
        package var leafHash: SHA256Digest
    }

    /// How much of an oversized line is kept: the v1 prefix is far shorter.
    package static let headBytes = 4096

    private enum Source {
        case plain(Int32)
        case gzip(GzipFileReader)
    }

    package let path: String
    private let source: Source
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    /// Bytes handed out so far, so callers can say where a line starts.
    package private(set) var offset: Int64 = 0

    /// `startOffset` skips that many bytes of a plain file (to resume after lines already read).
    package init(path: String, compressed: Bool, bufferSize: Int = 1 << 20, startOffset: Int64 = 0) throws(AuditError) {
        self.path = path
        offset = startOffset
        if compressed {
            do { source = .gzip(try GzipFileReader(path: path)) } catch { throw AuditError(error.message) }
        } else {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw AuditError("cannot open \(path): \(String(cString: strerror(errno)))") }
            if startOffset > 0, lseek(fd, off_t(startOffset), SEEK_SET) < 0 {
                close(fd)
                throw AuditError("cannot seek in \(path): \(String(cString: strerror(errno)))")
            }
            source = .plain(fd)
        }
        buffer = .allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        if case .plain(let fd) = source { close(fd) }
    }

    /// What ended the file: nothing, or bytes after the last newline.
    package struct Tail {
        /// The cut-off bytes (for an oversized cut-off line, only its first `headBytes`).
        package var bytes: [UInt8]
        package var offset: Int64
        package var length: Int64
    }

    /// Calls `body` for each whole line (including its `\n`) until it returns false or the file ends; a line
    /// over the limit ends the read with an error naming the limit.
    package func forEachLine(_ body: (UnsafeRawBufferPointer) throws -> Bool) throws -> Tail? {
        try forEachLine(body) { [path] line in
            throw AuditError(
                "\(path): the line at byte \(line.offset) is \(line.length) bytes, over the "
                    + "\(AuditLineFormat.maximumLineBytes)-byte audit line limit; `portcullis audit verify` reads past it "
                    + "and names its sequence number")
        }
    }

    /// Calls `body` for each whole line (including its `\n`) until it returns false or the file ends; lines
    /// over the limit go to `oversized` instead. Returns the torn tail, if any. Throws `AuditError` for I/O
    /// failures and `CompressionError` for bad gzip.
    package func forEachLine(
        _ body: (UnsafeRawBufferPointer) throws -> Bool, oversized: (OversizedLine) throws -> Bool
    ) throws -> Tail? {
        while true {
            if let newline = memchr(buffer.baseAddress! + start, 0x0A, end - start) {
                let lineEnd = buffer.baseAddress!.distance(to: UnsafeMutableRawPointer(newline)) + 1
                let line = UnsafeRawBufferPointer(rebasing: buffer[start..<lineEnd])
                if line.count > AuditLineFormat.maximumLineBytes {
                    let whole = try oversized(
                        OversizedLine(
                            head: Array(line.prefix(LineReader.headBytes)), length: Int64(line.count), offset: offset,
                            hash: SHA256().digest(line), leafHash: MerkleFrontier.leafHash(line, using: SHA256())))
                    offset += Int64(line.count)
                    start = lineEnd
                    guard whole else { return nil }
                    continue
                }
                offset += Int64(lineEnd - start)
                start = lineEnd
                guard try body(line) else { return nil }
                continue
            }
            if start > 0 {
                // Move the partial line to the front so the next read has room after it.
                if end > start { memmove(buffer.baseAddress!, buffer.baseAddress! + start, end - start) }
                end -= start
                start = 0
            }
            if end > AuditLineFormat.maximumLineBytes {
                switch try streamOversized() {
                case .line(let line): guard try oversized(line) else { return nil }
                case .tail(let tail): return tail
                }
                continue
            }
            if end == buffer.count {
                let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
                larger.copyMemory(from: UnsafeRawBufferPointer(buffer))
                buffer.deallocate()
                buffer = larger
            }
            let n = try fill(UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
            if n == 0 {
                return end > 0 ? Tail(bytes: Array(buffer[0..<end]), offset: offset, length: Int64(end)) : nil
            }
            end += n
        }
    }

    private enum Streamed {
        case line(OversizedLine)
        case tail(Tail)
    }

    /// Hashes the over-long line filling the buffer until its newline, keeping only its head; leaves the
    /// bytes after the newline at the front of the buffer.
    private func streamOversized() throws -> Streamed {
        let lineHasher = SHA256()
        let leafHasher = SHA256()
        leafHasher.update(byte: 0x00)
        let head = Array(buffer[0..<min(end, LineReader.headBytes)])
        var length: Int64 = 0
        while true {
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<end])
            let newline = memchr(buffer.baseAddress!, 0x0A, end)
            let take = newline.map { buffer.baseAddress!.distance(to: UnsafeMutableRawPointer($0)) + 1 } ?? end
            let part = UnsafeRawBufferPointer(rebasing: chunk[0..<take])
            lineHasher.update(part)
            leafHasher.update(part)
            length += Int64(take)
            if newline != nil {
                if end > take { memmove(buffer.baseAddress!, buffer.baseAddress! + take, end - take) }
                end -= take
                let line = OversizedLine(
                    head: head, length: length, offset: offset, hash: lineHasher.finalize(),
                    leafHash: leafHasher.finalize())
                offset += length
                return .line(line)
            }
            end = 0
            let n = try fill(UnsafeMutableRawBufferPointer(rebasing: buffer[0...]))
            if n == 0 { return .tail(Tail(bytes: head, offset: offset, length: length)) }
            end = n
        }
    }

    private func fill(_ space: UnsafeMutableRawBufferPointer) throws -> Int {
        switch source {
        case .gzip(let reader):
            return try reader.read(into: space)
        case .plain(let fd):
            while true {
                let n = read(fd, space.baseAddress, space.count)
                if n >= 0 { return n }
                if errno != EINTR { throw AuditError("reading \(path): \(String(cString: strerror(errno)))") }
            }
        }
    }
}
