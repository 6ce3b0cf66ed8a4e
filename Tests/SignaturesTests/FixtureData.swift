import Foundation
import PortcullisCrypto

@testable import Signatures

/// Loads files from the test bundle's `Fixtures` directory.
enum FixtureData {
    static let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func bytes(_ name: String) -> [UInt8] {
        [UInt8](FileManager.default.contents(atPath: root.appendingPathComponent(name).path)!)
    }

    static func text(_ name: String) -> String { String(decoding: bytes(name), as: UTF8.self) }

    static func key(_ name: String) throws -> PublicKey { try PublicKey(pem: bytes(name), source: name) }

    /// One signer-made case from `signer/cases.json`.
    struct Case {
        let key: String
        let blob: [UInt8]
        let signature: String?
        let isBundle: Bool

        /// The case as the registry client would hand it over; `layerDigest` defaults to the blob's true digest.
        func candidate(layerDigest: String? = nil, blob override: [UInt8]? = nil, signature sig: String? = nil)
            -> SignatureCandidate
        {
            let bytes = override ?? blob
            let digest = layerDigest ?? "sha256:" + SHA256.hex(of: bytes)
            return SignatureCandidate(
                source: "fixture",
                material: isBundle
                    ? .sigstoreBundle(bundle: bytes, layerDigest: digest)
                    : .simpleSigning(payload: bytes, layerDigest: digest, signature: sig ?? signature!))
        }
    }

    static let signer = cases("signer/cases.json")
    /// Signatures with each hash and padding cosign makes (`Tests/Support/signer/make_hash_fixtures.py`).
    static let hashes = cases("signer/hashes/cases.json")

    static func cases(_ file: String) -> (image: String, digest: String, cases: [String: Case]) {
        let root = try! JSONSerialization.jsonObject(with: Data(bytes(file))) as! [String: Any]
        var cases: [String: Case] = [:]
        for (name, value) in root["cases"] as! [String: [String: String]] {
            cases[name] = Case(
                key: value["key"]!, blob: [UInt8](Data(base64Encoded: value["blob"]!)!), signature: value["signature"],
                isBundle: value["format"] == "bundle")
        }
        return (root["image"] as! String, root["digest"] as! String, cases)
    }

    static func signerKey(_ name: String) throws -> PublicKey { try key("signer/\(name).pub") }
}
