import Foundation
import PortcullisCrypto

/// A Rekor transparency-log entry as carried offline: the canonicalized entry body, where and when the log
/// integrated it, and the log's signed promise of inclusion (the SignedEntryTimestamp, SET).
///
/// The SET is what lets Portcullis trust the integrated time without asking Rekor: it is the log's signature over
/// the RFC 8785 canonical JSON of `{body, integratedTime, logID, logIndex}`.
struct RekorEntry {
    /// The base64 canonicalized body exactly as the log signed it.
    let encodedBody: String
    let body: [UInt8]
    let integratedTime: Int64
    let logIndex: Int64
    /// Lower-case hex SHA-256 of the log key's DER SubjectPublicKeyInfo.
    let logID: String
    /// `nil` when the entry carries no inclusion promise (Rekor v2 entries, or one stripped out).
    let signedEntryTimestamp: [UInt8]?

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
        try self.init(encodedBody: body, integratedTime: time, logIndex: index, logID: logID.lowercased(), set: set)
    }

    /// One `verificationMaterial.tlogEntries[]` element of a sigstore bundle v0.3 (protobuf JSON: 64-bit integers
    /// are strings, the log ID is base64).
    init(tlogEntry entry: [String: Any]) throws(PayloadError) {
        guard let body = entry["canonicalizedBody"] as? String, let time = RekorEntry.integer(entry["integratedTime"]),
            let index = RekorEntry.integer(entry["logIndex"]),
            let keyID = ((entry["logId"] as? [String: Any])?["keyId"] as? String).flatMap({ Data(base64Encoded: $0) })
        else {
            throw PayloadError("the bundle's tlog entry lacks canonicalizedBody, integratedTime, logIndex or logId")
        }
        let set = try RekorEntry.signedEntryTimestamp(
            (entry["inclusionPromise"] as? [String: Any])?["signedEntryTimestamp"])
        try self.init(encodedBody: body, integratedTime: time, logIndex: index, logID: Hex.encode(keyID), set: set)
    }

    private init(encodedBody: String, integratedTime: Int64, logIndex: Int64, logID: String, set: [UInt8]?)
        throws(PayloadError)
    {
        guard let body = Data(base64Encoded: encodedBody) else {
            throw PayloadError("the Rekor entry body is not base64")
        }
        self.encodedBody = encodedBody
        self.body = [UInt8](body)
        self.integratedTime = integratedTime
        self.logIndex = logIndex
        self.logID = logID
        self.signedEntryTimestamp = set
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

/// The parts of a Rekor entry body that tie it to one signature: what was signed, the signature, the certificate.
enum RekorBody {
    /// `hashedrekord` 0.0.1: the SHA-256 of the signed blob, the signature, and the signer's certificate (PEM).
    case hashedRekord(artifactSHA256: String, signature: [UInt8], certificatePEM: [UInt8])
    /// `dsse` 0.0.1: the SHA-256 of the envelope payload and each signature with its verifier (PEM certificate).
    case dsse(payloadSHA256: String, signatures: [(signature: [UInt8], certificatePEM: [UInt8])])

    init(json bytes: [UInt8]) throws(PayloadError) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let kind = root["kind"] as? String, let spec = root["spec"] as? [String: Any]
        else { throw PayloadError("the Rekor entry body is not a JSON object with kind and spec") }
        let version = root["apiVersion"] as? String ?? "?"
        func decoded(_ value: Any?) -> [UInt8]? {
            (value as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
        }
        switch (kind, version) {
        case ("hashedrekord", "0.0.1"):
            let hash = ((spec["data"] as? [String: Any])?["hash"] as? [String: Any])
            let signature = spec["signature"] as? [String: Any]
            guard hash?["algorithm"] as? String == "sha256", let value = hash?["value"] as? String,
                let content = decoded(signature?["content"]),
                let certificate = decoded((signature?["publicKey"] as? [String: Any])?["content"])
            else { throw PayloadError("the hashedrekord body lacks a sha256 data hash, a signature or a certificate") }
            self = .hashedRekord(artifactSHA256: value.lowercased(), signature: content, certificatePEM: certificate)
        case ("dsse", "0.0.1"):
            let hash = spec["payloadHash"] as? [String: Any]
            guard hash?["algorithm"] as? String == "sha256", let value = hash?["value"] as? String else {
                throw PayloadError("the dsse body lacks a sha256 payloadHash")
            }
            var signatures: [(signature: [UInt8], certificatePEM: [UInt8])] = []
            for item in spec["signatures"] as? [[String: Any]] ?? [] {
                guard let signature = decoded(item["signature"]), let verifier = decoded(item["verifier"]) else {
                    throw PayloadError("the dsse body has a signature without base64 signature and verifier")
                }
                signatures.append((signature, verifier))
            }
            self = .dsse(payloadSHA256: value.lowercased(), signatures: signatures)
        default:
            throw PayloadError(
                "the Rekor entry is of kind \(kind) \(version); only hashedrekord 0.0.1 and dsse 0.0.1 are supported")
        }
    }
}
