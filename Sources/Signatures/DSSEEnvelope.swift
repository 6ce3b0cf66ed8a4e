import Foundation

/// The DSSE envelope inside a sigstore bundle v0.3 and the in-toto statement it signs.
///
/// DSSE signs the pre-authentication encoding (PAE) of type and payload, never the payload alone, so a signature
/// cannot be moved to a payload of another type.
struct DSSEEnvelope {
    static let bundleMediaTypePrefix = "application/vnd.dev.sigstore.bundle.v0.3"
    static let inTotoPayloadType = "application/vnd.in-toto+json"
    /// What cosign v3 writes for an image signature; attestations (SBOM, provenance) use other predicate types and
    /// must not pass as a signature.
    static let imageSignaturePredicate = "https://sigstore.dev/cosign/sign/v1"

    let payloadType: String
    let payload: [UInt8]
    let signatures: [[UInt8]]

    /// Reads the `dsseEnvelope` of a bundle; message signatures (`messageSignature`) carry no statement and are refused.
    init(bundle bytes: [UInt8]) throws(PayloadError) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw PayloadError("the bundle is not a JSON object")
        }
        guard let mediaType = root["mediaType"] as? String, mediaType.hasPrefix(DSSEEnvelope.bundleMediaTypePrefix)
        else {
            throw PayloadError(
                "the bundle's mediaType is \(String(describing: root["mediaType"] ?? "missing")), not \(DSSEEnvelope.bundleMediaTypePrefix)+json"
            )
        }
        guard let envelope = root["dsseEnvelope"] as? [String: Any] else {
            throw PayloadError("the bundle has no dsseEnvelope (a message signature names no image)")
        }
        guard let type = envelope["payloadType"] as? String, let encoded = envelope["payload"] as? String,
            let payload = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters)
        else { throw PayloadError("the DSSE envelope lacks a payloadType or a base64 payload") }
        let signatures = (envelope["signatures"] as? [[String: Any]] ?? []).compactMap { entry in
            (entry["sig"] as? String).flatMap { Data(base64Encoded: $0, options: .ignoreUnknownCharacters) }.map {
                [UInt8]($0)
            }
        }
        guard !signatures.isEmpty else { throw PayloadError("the DSSE envelope has no base64 signatures") }
        self.payloadType = type
        self.payload = [UInt8](payload)
        self.signatures = signatures
    }

    /// `DSSEv1 <len(type)> <type> <len(payload)> <payload>`, lengths in decimal bytes.
    var preAuthenticationEncoding: [UInt8] {
        Array("DSSEv1 \(payloadType.utf8.count) \(payloadType) \(payload.count) ".utf8) + payload
    }
}

/// The parts of an in-toto statement that bind it to an image, and its predicate for attestations.
struct InTotoStatement {
    struct Subject {
        let name: String
        let sha256: String?
        let annotations: [String: String]
    }

    let predicateType: String
    let subjects: [Subject]
    let predicate: [String: Any]

    init(json bytes: [UInt8]) throws(PayloadError) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw PayloadError("the DSSE payload is not a JSON in-toto statement")
        }
        guard let type = root["_type"] as? String, type.hasPrefix("https://in-toto.io/Statement/") else {
            throw PayloadError("the DSSE payload's _type is not an in-toto statement")
        }
        self.predicateType = root["predicateType"] as? String ?? ""
        self.predicate = root["predicate"] as? [String: Any] ?? [:]
        self.subjects = (root["subject"] as? [[String: Any]] ?? []).map { subject in
            Subject(
                name: subject["name"] as? String ?? "",
                sha256: (subject["digest"] as? [String: Any])?["sha256"] as? String,
                annotations: SimpleSigningPayload.strings(subject["annotations"]))
        }
    }

    /// The subject naming `digest` (`sha256:<hex>`), if any.
    func subject(for digest: String) -> Subject? {
        subjects.first { $0.sha256.map { "sha256:" + $0.lowercased() } == digest }
    }
}
