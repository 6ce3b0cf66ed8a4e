import CZlib

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a gzip file in bounded memory: input is deflated chunk by chunk into a fixed buffer.
///
/// Audit segments are compressed after they close; a segment can be hundreds of megabytes, so
/// nothing here ever holds more than one output buffer.
public final class GzipFileWriter {
    private var stream = z_stream()
    private let fd: Int32
    private let path: String
    private var output = [UInt8](repeating: 0, count: 64 * 1024)
    private var finished = false

    /// Creates (or truncates) `path` with mode 0640.
    public init(path: String, level: Int32 = 6) throws(CompressionError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw CompressionError("cannot create \(path): \(String(cString: strerror(errno)))") }
        // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of a zlib wrapper.
        let status = deflateInit2_(
            &stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            close(fd)
            throw CompressionError("deflateInit2 failed for \(path): zlib status \(status)")
        }
    }

    deinit {
        deflateEnd(&stream)
        close(fd)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(CompressionError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(bytes.count)
        try pump(flush: Z_NO_FLUSH)
    }

    public func write(_ bytes: [UInt8]) throws(CompressionError) {
        // withUnsafeBytes only rethrows untyped errors; carry the typed one out in a Result.
        try bytes.withUnsafeBytes { raw in Result { () throws(CompressionError) in try write(raw) } }.get()
    }

    /// Writes the gzip trailer and makes the file durable (`fsync`) before returning.
    public func finish() throws(CompressionError) {
        guard !finished else { return }
        stream.next_in = nil
        stream.avail_in = 0
        try pump(flush: Z_FINISH)
        finished = true
        guard fsync(fd) == 0 else { throw CompressionError("fsync \(path): \(String(cString: strerror(errno)))") }
    }

    private func pump(flush: Int32) throws(CompressionError) {
        while true {
            let (status, produced) = output.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                let status = deflate(&stream, flush)
                return (status, out.count - Int(stream.avail_out))
            }
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw CompressionError("deflate failed for \(path): zlib status \(status)")
            }
            try writeAll(produced)
            if flush == Z_FINISH {
                if status == Z_STREAM_END { return }
            } else if stream.avail_in == 0 && produced < output.count {
                return
            }
        }
    }

    private func writeAll(_ count: Int) throws(CompressionError) {
        var offset = 0
        while offset < count {
            let n = output.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CompressionError("writing \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}
