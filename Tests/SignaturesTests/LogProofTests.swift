import Foundation
import PortcullisCrypto
import Testing

@testable import Signatures

/// RFC 6962 inclusion proofs and C2SP checkpoints made by the independent signer
/// (`Tests/Support/signer/make_log_proofs.py`, recursive RFC 6962 definitions), and each field an attacker could change.
@Suite struct LogProofTests {
    struct Case {
        let key: String
        let leaf: [UInt8]
        let proof: InclusionProof
        let checkpoint: String
    }

    static let cases: [String: Case] = {
        let root =
            try! JSONSerialization.jsonObject(with: Data(FixtureData.bytes("rekor2/proofs.json"))) as! [String: Any]
        func bytes(_ text: Any?) -> [UInt8] { [UInt8](Data(base64Encoded: text as! String)!) }
        var cases: [String: Case] = [:]
        for (name, value) in root["cases"] as! [String: [String: Any]] {
            cases[name] = Case(
                key: value["key"] as! String, leaf: bytes(value["leaf"]),
                proof: InclusionProof(
                    logIndex: UInt64(value["logIndex"] as! Int), treeSize: UInt64(value["treeSize"] as! Int),
                    rootHash: bytes(value["rootHash"]), hashes: (value["hashes"] as! [String]).map { bytes($0) }),
                checkpoint: value["checkpoint"] as! String)
        }
        return cases
    }()

    static func key(_ name: String) throws -> PublicKey { try FixtureData.key("rekor2/log-\(name).pub") }

    static func verify(_ fixture: Case, proof: InclusionProof? = nil, checkpoint: String? = nil, key: String? = nil)
        throws(PayloadError)
    {
        let proof = proof ?? fixture.proof
        try proof.verify(entry: fixture.leaf)
        let logKey: PublicKey
        do { logKey = try Self.key(key ?? fixture.key) } catch { throw PayloadError("\(error)") }
        try SignedCheckpoint(checkpoint ?? fixture.checkpoint).verify(proof: proof, key: logKey, log: "rekor-v2")
    }

    static func reason(_ body: () throws(PayloadError) -> Void) -> String {
        do { try body() } catch { return error.message }
        return "verified"
    }

    @Test func everyShapeOfTreeVerifiesWithBothKeyTypes() throws {
        #expect(Self.cases.count == 17)
        for (name, fixture) in Self.cases where !name.hasPrefix("stranger") {
            #expect(Self.reason { () throws(PayloadError) in try Self.verify(fixture) } == "verified", "\(name)")
        }
    }

    static func with(
        _ proof: InclusionProof, index: UInt64? = nil, size: UInt64? = nil, root: [UInt8]? = nil,
        hashes: [[UInt8]]? = nil
    ) -> InclusionProof {
        InclusionProof(
            logIndex: index ?? proof.logIndex, treeSize: size ?? proof.treeSize, rootHash: root ?? proof.rootHash,
            hashes: hashes ?? proof.hashes)
    }

    /// Each row: a tampering of the 13-leaf, index-9 Ed25519 case and the words its denial must contain.
    @Test(arguments: [
        ("proof path hash changed", "path leads to root"),
        ("proof path hash dropped", "fewer than a tree of 13 entries needs"),
        ("proof path hash added", "more than a tree of 13 entries needs"),
        ("log index moved", "path leads to root"),
        ("log index past the tree", "puts entry 13 in a tree of only 13"),
        ("tree size changed", "4 hashes, more than a tree of 12 entries needs"),
        ("checkpoint signature changed", "checkpoint signature by log rekor-v2 does not verify"),
        ("checkpoint tree size changed", "checkpoint signature by log rekor-v2 does not verify"),
        ("checkpoint by another key", "has no signature by log rekor-v2"),
        ("checkpoint for another tree", "but the signed checkpoint is for 1000"),
        ("proof root changed with its path", "is not the signed checkpoint's root"),
        ("checkpoint without signatures", "no blank line"),
    ])
    func eachTamperedFieldIsDeniedWithItsReason(tampering: String, expected: String) throws {
        let fixture = Self.cases["ed25519-13-9"]!
        var proof = fixture.proof
        var checkpoint = fixture.checkpoint
        switch tampering {
        case "proof path hash changed":
            var hashes = proof.hashes
            hashes[1][0] ^= 0x01
            proof = Self.with(proof, hashes: hashes)
        case "proof path hash dropped": proof = Self.with(proof, hashes: Array(proof.hashes.dropLast()))
        case "proof path hash added": proof = Self.with(proof, hashes: proof.hashes + [proof.hashes[0]])
        case "log index moved": proof = Self.with(proof, index: 8)
        case "log index past the tree": proof = Self.with(proof, index: 13)
        case "tree size changed": proof = Self.with(proof, size: 12)
        case "checkpoint signature changed":
            var lines = checkpoint.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var raw = [UInt8](Data(base64Encoded: String(lines[4].split(separator: " ")[2]))!)
            raw[10] ^= 0x01
            lines[4] = "\u{2014} \(lines[0]) " + Data(raw).base64EncodedString()
            checkpoint = lines.joined(separator: "\n")
        case "checkpoint tree size changed":
            checkpoint = checkpoint.replacingOccurrences(of: "\n13\n", with: "\n14\n")
        case "checkpoint by another key": checkpoint = Self.cases["stranger-13-9"]!.checkpoint
        case "checkpoint for another tree": checkpoint = Self.cases["ed25519-1000-3"]!.checkpoint
        case "proof root changed with its path":
            // A self-consistent proof of another 13-entry tree: the path holds, the signed root does not.
            let other = Self.cases["ed25519-13-12"]!
            let message = Self.reason { () throws(PayloadError) in
                try Self.verify(other, checkpoint: fixture.checkpoint)
            }
            #expect(message.contains(expected), "\(message)")
            return
        case "checkpoint without signatures": checkpoint = String(checkpoint.prefix { $0 != "\u{2014}" }.dropLast())
        default: Issue.record("unknown tampering \(tampering)")
        }
        let message = Self.reason { () throws(PayloadError) in
            try Self.verify(fixture, proof: proof, checkpoint: checkpoint)
        }
        #expect(message.contains(expected), "\(tampering): \(message)")
    }

    @Test func anECDSACheckpointNeedsTheECDSALogKey() {
        let fixture = Self.cases["p256-8-5"]!
        #expect(Self.reason { () throws(PayloadError) in try Self.verify(fixture) } == "verified")
        #expect(
            Self.reason { () throws(PayloadError) in try Self.verify(fixture, key: "ed25519") }
                .contains("has no signature by log rekor-v2"))
    }
}
