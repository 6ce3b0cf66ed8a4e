#if canImport(Glibc)
    import Glibc
#endif

/// Whole-file gzip operations built on the streaming reader and writer.
public enum Gzip {
    /// Compresses `source` into `destination` in bounded memory and makes the result durable.
    public static func compressFile(_ source: String, to destination: String) throws(CompressionError) {
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CompressionError("cannot open \(source): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let writer = try GzipFileWriter(path: destination)
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CompressionError("reading \(source): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            try writer.write(Array(chunk[0..<n]))
        }
        try writer.finish()
    }
}
