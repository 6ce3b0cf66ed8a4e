import Foundation
import PortcullisCrypto

/// A checkpoint in the C2SP tlog-checkpoint format, wrapped in a C2SP signed note.
///
/// ```
/// <origin>\n<tree size>\n<base64 root>\n\n— <key name> <base64(key ID ‖ signature)>\n
/// ```
/// The Ed25519 signature covers the body (the three lines and any extension lines, each with its newline). The key
/// ID is the first four bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ raw public key), as the signed-note
/// spec defines for Ed25519, so transparency-log tooling (Go `sumdb/note`, sigsum) can check it.
package struct CheckpointNote: Equatable {
    package var origin: String
    package var treeSize: UInt64
    package var root: SHA256Digest
    /// The body's lines after the root (C2SP checkpoint extension lines), signed with it.
    var extensions: [String] = []
    /// Signature lines as (key name, key ID, signature bytes).
    var signatures: [Signature]

    struct Signature: Equatable {
        var name: String
        var keyID: [UInt8]
        var signature: [UInt8]
    }

    private static let dash = "\u{2014} "

    var body: String {
        "\(origin)\n\(treeSize)\n\(Data(root.bytes).base64EncodedString())\n" + extensions.map { $0 + "\n" }.joined()
    }

    /// The extension that signs the rest of the checkpoint's own log line: SHA-256 of the line's bytes before
    /// `,"note":`. Every other line is fixed by the `prev` of the line after it; the last line of a log has no
    /// line after it, so without this its `time`, `chain` and frontier could be changed unnoticed.
    static let linePrefixTag = "portcullis/line-prefix "

    static func linePrefixExtension(_ prefix: [UInt8]) -> String { linePrefixTag + SHA256.hex(of: prefix) }

    /// The digest the note signs for its line's other members, if it was written with one (older logs were not).
    var signedLinePrefix: String? {
        extensions.first { $0.hasPrefix(Self.linePrefixTag) }.map { String($0.dropFirst(Self.linePrefixTag.count)) }
    }

    var text: String {
        body + "\n"
            + signatures.map { signature in
                CheckpointNote.dash + signature.name + " "
                    + Data(signature.keyID + signature.signature).base64EncodedString() + "\n"
            }.joined()
    }

    /// Signs a new checkpoint with `key`, under the key name `origin`.
    static func signed(
        origin: String, treeSize: UInt64, root: SHA256Digest, extensions: [String] = [], key: Ed25519PrivateKey
    ) throws(AuditError) -> CheckpointNote {
        var note = CheckpointNote(
            origin: origin, treeSize: treeSize, root: root, extensions: extensions, signatures: [])
        do {
            let signature = try key.sign(Array(note.body.utf8))
            note.signatures = [
                Signature(name: origin, keyID: keyID(name: origin, key: key.publicKey), signature: signature)
            ]
        } catch {
            throw AuditError("signing the checkpoint at tree size \(treeSize): \(error)")
        }
        return note
    }

    /// The signed-note key ID of an Ed25519 key under `name`.
    static func keyID(name: String, key: Ed25519PublicKey) -> [UInt8] {
        Array(SHA256.hash(Array(name.utf8) + [0x0A, 0x01] + key.raw).bytes.prefix(4))
    }

    /// Parses a signed note; the error says which part is malformed.
    package static func parse(_ text: String) throws(AuditError) -> CheckpointNote {
        guard let split = text.range(of: "\n\n", options: .backwards) else {
            throw AuditError("checkpoint note has no blank line before its signatures")
        }
        let bodyLines = text[..<split.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        guard bodyLines.count >= 3, !bodyLines[0].isEmpty, let size = UInt64(bodyLines[1]),
            let rootBytes = Data(base64Encoded: String(bodyLines[2])), let root = SHA256Digest(bytes: rootBytes)
        else { throw AuditError("checkpoint note body is not <origin>, <tree size>, <base64 SHA-256 root>") }
        var signatures: [Signature] = []
        for line in text[split.upperBound...].split(separator: "\n") {
            guard line.hasPrefix(dash) else {
                throw AuditError("checkpoint signature line does not start with an em dash")
            }
            let fields = line.dropFirst(dash.count).split(separator: " ")
            guard fields.count == 2, let raw = Data(base64Encoded: String(fields[1])), raw.count > 4 else {
                throw AuditError("checkpoint signature line is not '— <name> <base64>'")
            }
            signatures.append(
                Signature(name: String(fields[0]), keyID: Array(raw.prefix(4)), signature: Array(raw.dropFirst(4))))
        }
        guard !signatures.isEmpty else { throw AuditError("checkpoint note carries no signature") }
        return CheckpointNote(
            origin: String(bodyLines[0]), treeSize: size, root: root,
            extensions: bodyLines.dropFirst(3).map(String.init),
            signatures: signatures)
    }

    /// Checks that some signature line is by `key` and valid; the error explains a forgery.
    func verifySignature(with key: Ed25519PublicKey) throws(AuditError) {
        let bodyBytes = Array(body.utf8)
        for signature in signatures where signature.keyID == CheckpointNote.keyID(name: signature.name, key: key) {
            guard key.isValidSignature(signature.signature, for: bodyBytes) else {
                throw AuditError(
                    "the signature by key \(signature.name)+\(Hex.encode(signature.keyID)) does not verify")
            }
            return
        }
        let found = signatures.map { "\($0.name)+\(Hex.encode($0.keyID))" }.joined(separator: ", ")
        throw AuditError("it is not signed by the given key (signed by \(found))")
    }
}
