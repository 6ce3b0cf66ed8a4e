import Compression
import Foundation
import Testing

/// Streaming gzip over zlib: what it writes is what gzip(1) reads, and what it reads back fails loudly when the
/// file is cut or damaged, never as a shorter or different text.
@Suite struct GzipTests {
    final class Directory {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gzip-\(UUID().uuidString)").path
        init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func file(_ name: String) -> String { path + "/" + name }
    }

    static func readAll(_ path: String) throws -> [UInt8] {
        let reader = try GzipFileReader(path: path)
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 10_000)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    static func original() -> [UInt8] {
        var bytes = [UInt8]()
        for index in 0..<200_000 { bytes += Array("line \(index) of an audit segment\n".utf8) }
        return bytes
    }

    @Test("files written in chunks decompress with gzip(1) and read back the same")
    func roundTrip() throws {
        let directory = Directory()
        let original = Self.original()
        try Data(original).write(to: URL(fileURLWithPath: directory.file("plain")))
        try Gzip.compressFile(directory.file("plain"), to: directory.file("plain.gz"))
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/sh")
        check.arguments = ["-c", "gzip -dc '\(directory.file("plain.gz"))' | cmp -s - '\(directory.file("plain"))'"]
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
        #expect(try Self.readAll(directory.file("plain.gz")) == original)
    }

    @Test("a cut-off file is a truncation, a flipped byte an error: never a shorter or different text")
    func damagedFilesFailLoudly() throws {
        let directory = Directory()
        try Data(Self.original()).write(to: URL(fileURLWithPath: directory.file("plain")))
        try Gzip.compressFile(directory.file("plain"), to: directory.file("plain.gz"))
        let compressed = try Data(contentsOf: URL(fileURLWithPath: directory.file("plain.gz")))
        try compressed.prefix(compressed.count / 2).write(to: URL(fileURLWithPath: directory.file("cut.gz")))
        let cut = #expect(throws: CompressionError.self) { try Self.readAll(directory.file("cut.gz")) }
        #expect(cut?.isTruncation == true)
        var flipped = compressed
        flipped[compressed.count / 2] ^= 0xff
        try flipped.write(to: URL(fileURLWithPath: directory.file("flipped.gz")))
        #expect(throws: CompressionError.self) { try Self.readAll(directory.file("flipped.gz")) }
        try Data("not gzip at all".utf8).write(to: URL(fileURLWithPath: directory.file("text.gz")))
        #expect(throws: CompressionError.self) { try Self.readAll(directory.file("text.gz")) }
    }
}
