import CZlib

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a gzip file as a stream of decompressed bytes in bounded memory.
///
/// Concatenated gzip members (as `cat a.gz b.gz` produces) are read as one stream, the way
/// `gzip -d` treats them. A file that ends before its trailer is an error, so a truncated
/// segment is never mistaken for a short one.
public final class GzipFileReader {
    private var stream = z_stream()
    private let fd: Int32
    private let path: String
    private var input = [UInt8](repeating: 0, count: 64 * 1024)
    private var inputEnded = false
    private var memberEnded = false
    private var done = false

    public init(path: String) throws(CompressionError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CompressionError("cannot open \(path): \(String(cString: strerror(errno)))") }
        // windowBits 15 + 16: expect a gzip wrapper and check its CRC-32 and length trailer.
        let status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            close(fd)
            throw CompressionError("inflateInit2 failed for \(path): zlib status \(status)")
        }
    }

    deinit {
        inflateEnd(&stream)
        close(fd)
    }

    /// Fills `buffer` with decompressed bytes; returns 0 only at the end of the stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(CompressionError) -> Int {
        guard !done, buffer.count > 0 else { return 0 }
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(buffer.count)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputEnded { try refill() }
            if stream.avail_in == 0 && inputEnded {
                if memberEnded {
                    done = true
                    break
                }
                throw CompressionError(
                    "\(path) is truncated: the gzip stream ends before its trailer", isTruncation: true)
            }
            if memberEnded {
                // More input after a complete member: another member follows.
                guard inflateReset(&stream) == Z_OK else { throw CompressionError("inflateReset failed for \(path)") }
                memberEnded = false
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR: continue
            case Z_STREAM_END: memberEnded = true
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                throw CompressionError("\(path) is not valid gzip: \(reason)")
            }
        }
        return buffer.count - Int(stream.avail_out)
    }

    private func refill() throws(CompressionError) {
        while true {
            let n = input.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CompressionError("reading \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                inputEnded = true
                return
            }
            input.withUnsafeMutableBufferPointer { stream.next_in = $0.baseAddress }
            stream.avail_in = uInt(n)
            return
        }
    }
}
