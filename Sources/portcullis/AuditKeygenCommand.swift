import ArgumentParser
import Foundation
import PortcullisCrypto

/// `portcullis audit keygen`: an Ed25519 key pair for development. Production keys belong in a secret store.
struct AuditKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write an Ed25519 checkpoint signing key pair (PKCS#8 and SPKI PEM) for development."
    )

    @Option(name: .long, help: "Where to write the private key (mode 0600; never overwritten).")
    var privateKey = "audit-signing-key.pem"
    @Option(name: .long, help: "Where to write the public key for reviewers.")
    var publicKey = "audit-signing-key.pub.pem"

    func run() throws {
        for path in [privateKey, publicKey] where FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(path) already exists; keygen never overwrites a key")
        }
        let key = try Ed25519PrivateKey.generate()
        guard
            FileManager.default.createFile(
                atPath: privateKey, contents: Data(try key.pemPKCS8().utf8),
                attributes: [.posixPermissions: 0o600]),
            FileManager.default.createFile(
                atPath: publicKey, contents: Data(try key.publicKey.pemSPKI().utf8),
                attributes: [.posixPermissions: 0o644])
        else { throw ValidationError("cannot write \(privateKey) or \(publicKey)") }
        print("wrote \(privateKey) (private, 0600) and \(publicKey) (give this one to reviewers)")
    }
}
