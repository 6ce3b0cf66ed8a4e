import Foundation
import PortcullisCrypto

/// A Rekor transparency-log entry as carried offline: the canonicalized entry body, where and when the log
/// integrated it, and the log's proof of inclusion: a signed promise (the SignedEntryTimestamp, SET), an inclusion
/// proof against a signed checkpoint, or both.
///
/// The SET is what lets Portcullis trust the integrated time without asking Rekor: it is the log's signature over
/// the RFC 8785 canonical JSON of `{body, integratedTime, logID, logIndex}`. Rekor v2 entries have neither SET nor
/// integrated time; their time comes from an RFC 3161 timestamp beside the entry.
struct RekorEntry {
    /// The base64 canonicalized body exactly as the log signed it.
    let encodedBody: String
    let body: [UInt8]
    /// 0 when the entry names none (Rekor v2); believed only through the SET.
    let integratedTime: Int64
    let logIndex: Int64
    /// Lower-case hex: SHA-256 of the log key's DER SubjectPublicKeyInfo (v1), or the log's checkpoint key ID (v2).
    let logID: String
    /// `nil` when the entry carries no inclusion promise (Rekor v2 entries, or one stripped out).
    let signedEntryTimestamp: [UInt8]?
    /// The RFC 6962 proof and the checkpoint text it leads to; `nil` when the entry carries none (legacy `.sig`
    /// annotations never do).
    let inclusionProof: (proof: InclusionProof, checkpoint: String)?

    /// The `dev.sigstore.cosign/bundle` layer annotation of the legacy `.sig` format:
    /// `{"SignedEntryTimestamp": b64, "Payload": {"body": b64, "integratedTime": n, "logIndex": n, "logID": hex}}`.
    init(cosignBundle text: String) throws(PayloadError) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let payload = root["Payload"] as? [String: Any]
        else { throw PayloadError("the dev.sigstore.cosign/bundle annotation is not a JSON object with a Payload") }
        guard let body = payload["body"] as? String, let time = RekorEntry.integer(payload["integratedTime"]),
            let index = RekorEntry.integer(payload["logIndex"]), let logID = payload["logID"] as? String
        else { throw PayloadError("the Rekor bundle Payload lacks body, integratedTime, logIndex or logID") }
        let set = try RekorEntry.signedEntryTimestamp(root["SignedEntryTimestamp"])
        try self.init(
            encodedBody: body, integratedTime: time, logIndex: index, logID: logID.lowercased(), set: set, proof: nil)
    }

    /// One `verificationMaterial.tlogEntries[]` element of a sigstore bundle v0.3 (protobuf JSON: 64-bit integers
    /// are strings, the log ID is base64). A Rekor v2 entry omits `integratedTime` (or writes 0).
    init(tlogEntry entry: [String: Any]) throws(PayloadError) {
        guard let body = entry["canonicalizedBody"] as? String, let index = RekorEntry.integer(entry["logIndex"]),
            let keyID = ((entry["logId"] as? [String: Any])?["keyId"] as? String).flatMap({ Data(base64Encoded: $0) })
        else {
            throw PayloadError("the bundle's tlog entry lacks canonicalizedBody, logIndex or logId")
        }
        let time = try entry["integratedTime"].map { value throws(PayloadError) in
            guard let time = RekorEntry.integer(value) else {
                throw PayloadError("the bundle's tlog entry has an integratedTime that is not an integer")
            }
            return time
        }
        let set = try RekorEntry.signedEntryTimestamp(
            (entry["inclusionPromise"] as? [String: Any])?["signedEntryTimestamp"])
        let proof = try entry["inclusionProof"].map { value throws(PayloadError) in
            try RekorEntry.inclusionProof(value)
        }
        try self.init(
            encodedBody: body, integratedTime: time ?? 0, logIndex: index, logID: Hex.encode(keyID), set: set,
            proof: proof)
    }

    private init(
        encodedBody: String, integratedTime: Int64, logIndex: Int64, logID: String, set: [UInt8]?,
        proof: (InclusionProof, String)?
    ) throws(PayloadError) {
        guard let body = Data(base64Encoded: encodedBody) else {
            throw PayloadError("the Rekor entry body is not base64")
        }
        self.encodedBody = encodedBody
        self.body = [UInt8](body)
        self.integratedTime = integratedTime
        self.logIndex = logIndex
        self.logID = logID
        self.signedEntryTimestamp = set
        self.inclusionProof = proof
    }

    /// `{"logIndex": "n", "rootHash": b64, "treeSize": "n", "hashes": [b64], "checkpoint": {"envelope": text}}`;
    /// a present but broken proof is refused, never treated as absent.
    private static func inclusionProof(_ value: Any) throws(PayloadError) -> (InclusionProof, String) {
        func bytes(_ value: Any?) -> [UInt8]? {
            (value as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
        }
        guard let proof = value as? [String: Any], let index = integer(proof["logIndex"]), index >= 0,
            let size = integer(proof["treeSize"]), size >= 0, let root = bytes(proof["rootHash"]),
            let list = proof["hashes"] as? [Any],
            let checkpoint = (proof["checkpoint"] as? [String: Any])?["envelope"]
                as? String
        else {
            throw PayloadError(
                "the tlog entry's inclusionProof lacks logIndex, treeSize, rootHash, hashes or checkpoint.envelope")
        }
        var hashes: [[UInt8]] = []
        for item in list {
            guard let hash = bytes(item) else {
                throw PayloadError("the inclusion proof has a hash that is not base64")
            }
            hashes.append(hash)
        }
        let parsed = InclusionProof(logIndex: UInt64(index), treeSize: UInt64(size), rootHash: root, hashes: hashes)
        return (parsed, checkpoint)
    }

    /// The bytes the SET signs.
    var signedPayload: [UInt8] {
        CanonicalJSON.object([
            "body": .string(encodedBody), "integratedTime": .integer(integratedTime), "logID": .string(logID),
            "logIndex": .integer(logIndex),
        ]).bytes
    }

    /// A present but undecodable SET is an error of its own, not "no promise": the message should say what is wrong.
    private static func signedEntryTimestamp(_ value: Any?) throws(PayloadError) -> [UInt8]? {
        guard let value else { return nil }
        guard let text = value as? String, let bytes = Data(base64Encoded: text), !bytes.isEmpty else {
            throw PayloadError("the Rekor SignedEntryTimestamp is not base64")
        }
        return [UInt8](bytes)
    }

    private static func integer(_ value: Any?) -> Int64? {
        switch value {
        // Log indices and times stay far below 2^53, so the double JSONSerialization may hold is exact.
        case let number as NSNumber: return Int64(exactly: number.doubleValue)
        case let text as String: return Int64(text)
        default: return nil
        }
    }
}
