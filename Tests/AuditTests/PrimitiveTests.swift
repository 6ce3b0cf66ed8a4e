import Compression
import Foundation
import PortcullisCrypto
import Testing

@testable import Audit

@Suite("SHA-256, Merkle, Ed25519 and gzip primitives")
struct PrimitiveTests {
    @Test("SHA-256 matches the FIPS 180-2 vectors, one-shot and streamed")
    func sha256Vectors() {
        #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let hasher = SHA256()
        for chunk in ["abcdbcdecdefdefgefghfghighijhijk", "ijkljklmklmnlmnomnopnopq"] {
            hasher.update(Array(chunk.utf8))
        }
        #expect(hasher.finalize().hex == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// The leaves and roots published with RFC 6962's reference implementation (certificate-transparency).
    @Test("Merkle roots match the RFC 6962 reference test vectors for sizes 0…8")
    func merkleVectors() {
        let leaves: [[UInt8]] = [
            [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
            [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
        ]
        let roots = [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ]
        let hasher = SHA256()
        var frontier = MerkleFrontier()
        #expect(frontier.root(using: hasher).hex == roots[0])
        for (index, leaf) in leaves.enumerated() {
            let hash = leaf.withUnsafeBytes { MerkleFrontier.leafHash($0, using: hasher) }
            frontier.append(leafHash: hash, using: hasher)
            #expect(frontier.root(using: hasher).hex == roots[index + 1], "tree size \(index + 1)")
            // A frontier restored from its hashes (as a checkpoint line stores it) gives the same root.
            #expect(
                MerkleFrontier(size: frontier.size, hashes: frontier.hashes)?.root(using: hasher).hex
                    == roots[index + 1])
        }
    }

    @Test("Ed25519 signs and verifies, loads openssl-generated PEM keys, and rejects the wrong key")
    func ed25519() throws {
        let directory = TemporaryDirectory()
        let (status, output) = try Fixtures.run(
            "/usr/bin/openssl", ["genpkey", "-algorithm", "ed25519", "-out", directory.file("k.pem")])
        #expect(status == 0, "\(output)")
        _ = try Fixtures.run(
            "/usr/bin/openssl", ["pkey", "-in", directory.file("k.pem"), "-pubout", "-out", directory.file("p.pem")])
        let key = try Ed25519PrivateKey(pemFile: directory.file("k.pem"))
        let publicKey = try Ed25519PublicKey(pemFile: directory.file("p.pem"))
        #expect(key.publicKey.raw == publicKey.raw)
        let message = Array("checkpoint body\n".utf8)
        let signature = try key.sign(message)
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(!publicKey.isValidSignature(signature, for: Array("checkpoint body!\n".utf8)))
        #expect(!(try Ed25519PrivateKey.generate().publicKey.isValidSignature(signature, for: message)))
        // PEM round trip of a generated key.
        let generated = try Ed25519PrivateKey.generate()
        let reloaded = try Ed25519PrivateKey(pem: Array(try generated.pemPKCS8().utf8))
        #expect(reloaded.publicKey.raw == generated.publicKey.raw)
        #expect(try Ed25519PublicKey(pem: Array(try generated.publicKey.pemSPKI().utf8)).raw == generated.publicKey.raw)
        // Not a key at all, and a key of the wrong type.
        #expect(throws: OpenSSLError.self) { try Ed25519PrivateKey(pem: Array("hello".utf8)) }
        _ = try Fixtures.run(
            "/usr/bin/openssl",
            ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", directory.file("ec.pem")])
        #expect(throws: OpenSSLError.self) { try Ed25519PrivateKey(pemFile: directory.file("ec.pem")) }
    }

    @Test("gzip files written in chunks decompress with gzip(1), and a cut-off gzip file is reported as truncated")
    func gzipRoundTrip() throws {
        let directory = TemporaryDirectory()
        var original = [UInt8]()
        for index in 0..<200_000 { original += Array("line \(index) of an audit segment\n".utf8) }
        try Data(original).write(to: URL(fileURLWithPath: directory.file("plain")))
        try Gzip.compressFile(directory.file("plain"), to: directory.file("plain.gz"))
        let (status, _) = try Fixtures.run(
            "/bin/sh", ["-c", "gzip -dc \(directory.file("plain.gz")) | cmp - \(directory.file("plain"))"])
        #expect(status == 0)
        let reader = try GzipFileReader(path: directory.file("plain.gz"))
        var decompressed = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 10_000)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { break }
            decompressed += buffer[0..<n]
        }
        #expect(decompressed == original)
        let compressed = try Data(contentsOf: URL(fileURLWithPath: directory.file("plain.gz")))
        try compressed.prefix(compressed.count / 2).write(to: URL(fileURLWithPath: directory.file("cut.gz")))
        let cut = try GzipFileReader(path: directory.file("cut.gz"))
        let error = #expect(throws: CompressionError.self) {
            while try buffer.withUnsafeMutableBytes({ try cut.read(into: $0) }) > 0 {}
        }
        #expect(error?.isTruncation == true)
    }
}
