import Foundation
import PortcullisCrypto

/// Proof that a transparency log holds an entry, without asking the log: an RFC 6962 inclusion proof (audit path
/// from the entry's leaf hash to a root) and a checkpoint in which a log the trusted root lists signs that root.
///
/// This is how Rekor v2 entries are proven (they carry no SignedEntryTimestamp), and Rekor v1 entries may carry the
/// same. Each step that fails names what did not hold, so a tampered proof path, tree size or checkpoint signature
/// is told apart in the denial.
struct InclusionProof: Sendable {
    let logIndex: UInt64
    let treeSize: UInt64
    let rootHash: [UInt8]
    let hashes: [[UInt8]]

    /// RFC 6962 leaf hash: SHA-256(0x00 ‖ entry).
    static func leafHash(_ entry: [UInt8]) -> [UInt8] { SHA256.hash([0x00] + entry).bytes }

    static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { SHA256.hash([0x01] + left + right).bytes }

    /// Checks that `entry` is leaf `logIndex` of the tree of `treeSize` leaves whose root is `rootHash`, walking the
    /// audit path as RFC 9162 section 2.1.3.2 describes.
    func verify(entry: [UInt8]) throws(PayloadError) {
        guard logIndex < treeSize else {
            throw PayloadError("the inclusion proof puts entry \(logIndex) in a tree of only \(treeSize) entries")
        }
        guard rootHash.count == 32, hashes.allSatisfy({ $0.count == 32 }) else {
            throw PayloadError("the inclusion proof's root or path holds a hash that is not 32 bytes")
        }
        var index = logIndex
        var last = treeSize - 1
        var hash = InclusionProof.leafHash(entry)
        for sibling in hashes {
            guard last > 0 else {
                throw PayloadError(
                    "the inclusion proof has \(hashes.count) hashes, more than a tree of \(treeSize) entries needs")
            }
            if index & 1 == 1 || index == last {
                hash = InclusionProof.nodeHash(sibling, hash)
                // A left child on the right edge: skip the levels where it has no sibling.
                while index & 1 == 0 && index != 0 {
                    index >>= 1
                    last >>= 1
                }
            } else {
                hash = InclusionProof.nodeHash(hash, sibling)
            }
            index >>= 1
            last >>= 1
        }
        guard last == 0 else {
            throw PayloadError(
                "the inclusion proof has \(hashes.count) hashes, fewer than a tree of \(treeSize) entries needs")
        }
        guard hash == rootHash else {
            throw PayloadError(
                "the inclusion proof path leads to root \(Data(hash).base64EncodedString()), not the proof's root "
                    + "\(Data(rootHash).base64EncodedString()) at tree size \(treeSize)")
        }
    }
}

/// A C2SP tlog-checkpoint in a signed note, as Rekor serves it:
/// `<origin>\n<tree size>\n<base64 root>\n[extension lines]\n\n— <name> <base64(key ID ‖ signature)>\n`.
struct SignedCheckpoint: Sendable {
    let origin: String
    let treeSize: UInt64
    let rootHash: [UInt8]
    /// The signed text: every line before the blank line, each with its newline.
    let body: [UInt8]
    let signatures: [(name: String, keyID: [UInt8], signature: [UInt8])]

    init(_ text: String) throws(PayloadError) {
        guard let split = text.range(of: "\n\n") else {
            throw PayloadError("the checkpoint has no blank line between its body and its signatures")
        }
        let bodyText = String(text[..<split.lowerBound]) + "\n"
        let lines = bodyText.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard lines.count >= 3, let size = UInt64(lines[1]),
            let root = Data(base64Encoded: String(lines[2])), root.count == 32, !lines[0].isEmpty
        else { throw PayloadError("the checkpoint body is not an origin, a tree size and a base64 SHA-256 root") }
        var signatures: [(String, [UInt8], [UInt8])] = []
        for line in text[split.upperBound...].split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "\u{2014}", let raw = Data(base64Encoded: String(parts[2])),
                raw.count > 4
            else { throw PayloadError("the checkpoint has a malformed signature line") }
            signatures.append((String(parts[1]), [UInt8](raw.prefix(4)), [UInt8](raw.dropFirst(4))))
        }
        origin = String(lines[0])
        treeSize = size
        rootHash = [UInt8](root)
        body = Array(bodyText.utf8)
        self.signatures = signatures
    }

    /// The C2SP signed-note key hash of an Ed25519 `key` under `name`, SHA-256(name ‖ 0x0A ‖ 0x01 ‖ raw key):
    /// its first four bytes are the key ID, and Rekor v2 bundles name their log by all of it.
    static func ed25519KeyHash(_ key: PublicKey, name: String) -> [UInt8] {
        SHA256.hash(Array(name.utf8) + [0x0A, 0x01] + key.spki.suffix(32)).bytes
    }

    /// The signed-note key ID of `key` under `name`: for Ed25519, the key hash's first four bytes; for ECDSA
    /// (Rekor v1 checkpoints), SHA-256(DER SubjectPublicKeyInfo)[:4].
    static func keyID(of key: PublicKey, name: String) -> [UInt8] {
        if key.algorithm == .ed25519 { return Array(ed25519KeyHash(key, name: name).prefix(4)) }
        return Array(SHA256.hash(key.spki).bytes.prefix(4))
    }

    /// Checks that the checkpoint is one of log `name` (its origin is the name, or for Rekor v1 `<name> - <tree
    /// ID>`), that a signature line by `key` under that name verifies, and that the checkpoint commits to the
    /// proof's tree size and root. A `nil` name (a log key from a PEM file) takes the checkpoint's own name.
    func verify(proof: InclusionProof, key: PublicKey, log: String, name: String? = nil) throws(PayloadError) {
        let name = name ?? String(origin.prefix { $0 != " " })
        guard origin == name || origin.hasPrefix(name + " - ") else {
            throw PayloadError("the checkpoint is for \(origin), not log \(name)")
        }
        let keyID = SignedCheckpoint.keyID(of: key, name: name)
        guard let line = signatures.first(where: { $0.name == name && $0.keyID == keyID }) else {
            let names = signatures.map(\.name).joined(separator: ", ")
            throw PayloadError(
                "the checkpoint for \(origin) has no signature by log \(log) (key \(key.fingerprint)); "
                    + "signed by: \(names.isEmpty ? "nobody" : names)")
        }
        guard key.isValidSignature(line.signature, for: body) else {
            throw PayloadError("the checkpoint signature by log \(log) does not verify with key \(key.fingerprint)")
        }
        guard treeSize == proof.treeSize else {
            throw PayloadError(
                "the inclusion proof is for tree size \(proof.treeSize), but the signed checkpoint is for \(treeSize)")
        }
        guard rootHash == proof.rootHash else {
            throw PayloadError(
                "the inclusion proof's root \(Data(proof.rootHash).base64EncodedString()) is not the signed "
                    + "checkpoint's root \(Data(rootHash).base64EncodedString())")
        }
    }
}
