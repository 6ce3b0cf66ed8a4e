// libFuzzer entry point for the gzip reader behind `audit verify`, `query` and `report` on closed segments. Built by
// fuzz/run.sh with the Compression module's sources and the system zlib: a segment on a hostile node is untrusted.
import Foundation

/// The input, written to a file in memory (the reader reads files, as the audit tools do).
private let path = "/dev/shm/portcullis-gzip-fuzz-\(getpid()).gz"

/// Besides "never crash, hang or overrun", the oracle: a reader that reports success returned bytes that the
/// writer, given them back, compresses to a file the reader reads back identically (no silent garbage).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    guard let plain = try? readAll(path) else { return 0 }
    FileManager.default.createFile(atPath: path + ".plain", contents: Data(plain))
    do {
        try Gzip.compressFile(path + ".plain", to: path + ".again")
        let again = try readAll(path + ".again")
        precondition(again == plain, "a round trip changed the bytes")
    } catch {
        preconditionFailure("re-compressing what was read failed: \(error)")
    }
    return 0
}

private func readAll(_ path: String) throws -> [UInt8] {
    let reader = try GzipFileReader(path: path)
    var out = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
        if n == 0 { return out }
        out += buffer[0..<n]
        precondition(out.count <= 64 << 20, "more than 64 MiB from a fuzz input")
    }
}
