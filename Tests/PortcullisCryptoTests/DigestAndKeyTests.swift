import Foundation
import PortcullisCrypto
import Testing

/// The OpenSSL wrappers against published vectors and keys made by openssl(1): SHA-256 (FIPS 180-2) one-shot and
/// streamed, Ed25519 sign/verify and PEM round trips, and refusals of what is not the key asked for.
@Suite struct DigestAndKeyTests {
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

    /// Runs openssl(1) with `arguments` in `directory`; the tests' independent key maker.
    static func openssl(_ arguments: [String], in directory: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test("Ed25519 signs and verifies, loads openssl-generated PEM keys, and refuses the wrong key")
    func ed25519() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try Self.openssl(["genpkey", "-algorithm", "ed25519", "-out", "k.pem"], in: directory) == 0)
        #expect(try Self.openssl(["pkey", "-in", "k.pem", "-pubout", "-out", "p.pem"], in: directory) == 0)
        let key = try Ed25519PrivateKey(pemFile: directory + "/k.pem")
        let publicKey = try Ed25519PublicKey(pemFile: directory + "/p.pem")
        #expect(key.publicKey.raw == publicKey.raw)
        let message = Array("checkpoint body\n".utf8)
        let signature = try key.sign(message)
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(!publicKey.isValidSignature(signature, for: Array("checkpoint body!\n".utf8)))
        #expect(!(try Ed25519PrivateKey.generate().publicKey.isValidSignature(signature, for: message)))
        let generated = try Ed25519PrivateKey.generate()
        #expect(
            try Ed25519PrivateKey(pem: Array(try generated.pemPKCS8().utf8)).publicKey.raw == generated.publicKey.raw)
        #expect(try Ed25519PublicKey(pem: Array(try generated.publicKey.pemSPKI().utf8)).raw == generated.publicKey.raw)
        #expect(throws: OpenSSLError.self) { try Ed25519PrivateKey(pem: Array("hello".utf8)) }
        let ec = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem"]
        #expect(try Self.openssl(ec, in: directory) == 0)
        #expect(throws: OpenSSLError.self) { try Ed25519PrivateKey(pemFile: directory + "/ec.pem") }
    }
}
