import Foundation
import PortcullisCrypto

/// The parts of a Rekor entry body that tie it to one signature: what was signed, the signature, the certificate.
///
/// Rekor v1 writes 0.0.1 bodies (hex digests, PEM verifiers); Rekor v2 writes 0.0.2 bodies (base64 digests, DER
/// certificates under `hashedRekordV002`/`dsseV002`). Both reduce to the same facts, so the check that the entry is
/// about *this* signature is written once.
enum RekorBody {
    /// `hashedrekord`: the SHA-256 (hex) of the signed blob, the signature, and the signer's DER certificate
    /// (`nil` when the entry names a bare public key, which no keyless signature matches).
    case hashedRekord(artifactSHA256: String, signature: [UInt8], certificate: [UInt8]?)
    /// `dsse`: the SHA-256 (hex) of the envelope payload and each signature with its DER certificate.
    case dsse(payloadSHA256: String, signatures: [(signature: [UInt8], certificate: [UInt8]?)])

    init(json bytes: [UInt8]) throws(PayloadError) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let kind = root["kind"] as? String, let spec = root["spec"] as? [String: Any]
        else { throw PayloadError("the Rekor entry body is not a JSON object with kind and spec") }
        let version = root["apiVersion"] as? String ?? "?"
        switch (kind, version) {
        case ("hashedrekord", "0.0.1"):
            let hash = ((spec["data"] as? [String: Any])?["hash"] as? [String: Any])
            let signature = spec["signature"] as? [String: Any]
            guard hash?["algorithm"] as? String == "sha256", let value = hash?["value"] as? String,
                let content = RekorBody.base64(signature?["content"]),
                let certificate = RekorBody.base64((signature?["publicKey"] as? [String: Any])?["content"])
            else { throw PayloadError("the hashedrekord body lacks a sha256 data hash, a signature or a certificate") }
            self = .hashedRekord(
                artifactSHA256: value.lowercased(), signature: content, certificate: RekorBody.der(pem: certificate))
        case ("dsse", "0.0.1"):
            let hash = spec["payloadHash"] as? [String: Any]
            guard hash?["algorithm"] as? String == "sha256", let value = hash?["value"] as? String else {
                throw PayloadError("the dsse body lacks a sha256 payloadHash")
            }
            var signatures: [(signature: [UInt8], certificate: [UInt8]?)] = []
            for item in spec["signatures"] as? [[String: Any]] ?? [] {
                guard let signature = RekorBody.base64(item["signature"]),
                    let verifier = RekorBody.base64(item["verifier"])
                else { throw PayloadError("the dsse body has a signature without base64 signature and verifier") }
                signatures.append((signature, RekorBody.der(pem: verifier)))
            }
            self = .dsse(payloadSHA256: value.lowercased(), signatures: signatures)
        case ("hashedrekord", "0.0.2"):
            let entry = spec["hashedRekordV002"] as? [String: Any]
            let signature = entry?["signature"] as? [String: Any]
            guard let digest = RekorBody.sha256(entry?["data"]), let content = RekorBody.base64(signature?["content"])
            else { throw PayloadError("the hashedrekord 0.0.2 body lacks a SHA2_256 data digest or a signature") }
            self = .hashedRekord(
                artifactSHA256: digest, signature: content, certificate: RekorBody.certificate(signature?["verifier"]))
        case ("dsse", "0.0.2"):
            let entry = spec["dsseV002"] as? [String: Any]
            guard let digest = RekorBody.sha256(entry?["payloadHash"]) else {
                throw PayloadError("the dsse 0.0.2 body lacks a SHA2_256 payloadHash")
            }
            var signatures: [(signature: [UInt8], certificate: [UInt8]?)] = []
            for item in entry?["signatures"] as? [[String: Any]] ?? [] {
                guard let content = RekorBody.base64(item["content"]) else {
                    throw PayloadError("the dsse 0.0.2 body has a signature whose content is not base64")
                }
                signatures.append((content, RekorBody.certificate(item["verifier"])))
            }
            self = .dsse(payloadSHA256: digest, signatures: signatures)
        default:
            throw PayloadError(
                "the Rekor entry is of kind \(kind) \(version); only hashedrekord and dsse 0.0.1 (Rekor v1) and "
                    + "0.0.2 (Rekor v2) are supported")
        }
    }

    private static func base64(_ value: Any?) -> [UInt8]? {
        (value as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
    }

    /// A 0.0.1 verifier is a PEM certificate; one that does not parse matches no certificate.
    private static func der(pem: [UInt8]) -> [UInt8]? {
        (try? Certificate.pemCertificates(pem, source: "the Rekor entry"))?.first?.der
    }

    /// A 0.0.2 `{"algorithm": "SHA2_256", "digest": b64}` as lower-case hex.
    private static func sha256(_ value: Any?) -> String? {
        guard let hash = value as? [String: Any], hash["algorithm"] as? String == "SHA2_256",
            let digest = base64(hash["digest"]), digest.count == 32
        else { return nil }
        return Hex.encode(digest)
    }

    /// A 0.0.2 verifier's `x509Certificate.rawBytes`; a `publicKey` verifier names no certificate.
    private static func certificate(_ value: Any?) -> [UInt8]? {
        base64(((value as? [String: Any])?["x509Certificate"] as? [String: Any])?["rawBytes"])
    }
}
