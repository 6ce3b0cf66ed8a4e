import Compression
import Foundation

/// Reads a plain or gzip audit segment line by line in bounded memory.
///
/// Lines are handed out as views into one reusable buffer (valid only during the callback), so
/// verifying a gigabyte allocates nothing per line. A final line without a newline is reported
/// separately: it is a torn write or a truncation, never a record.
package final class LineReader {
    /// Longest line accepted; anything longer is not an audit line, and bounding it bounds memory.
    package static let maximumLineLength = 4 << 20

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
        package var bytes: [UInt8]
        package var offset: Int64
    }

    /// Calls `body` for each whole line (including its `\n`) until it returns false or the file ends.
    /// Returns the torn tail, if any. Throws `AuditError` for I/O failures and `CompressionError` for bad gzip.
    package func forEachLine(_ body: (UnsafeRawBufferPointer) throws -> Bool) throws -> Tail? {
        while true {
            if let newline = memchr(buffer.baseAddress! + start, 0x0A, end - start) {
                let lineEnd = buffer.baseAddress!.distance(to: UnsafeMutableRawPointer(newline)) + 1
                let line = UnsafeRawBufferPointer(rebasing: buffer[start..<lineEnd])
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
            if end == buffer.count {
                guard buffer.count < LineReader.maximumLineLength else {
                    throw AuditError("\(path): a line at byte \(offset) is longer than 4 MiB; this is not an audit log")
                }
                let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
                larger.copyMemory(from: UnsafeRawBufferPointer(buffer))
                buffer.deallocate()
                buffer = larger
            }
            let n = try fill(UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
            if n == 0 {
                return end > 0 ? Tail(bytes: Array(buffer[0..<end]), offset: offset) : nil
            }
            end += n
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
