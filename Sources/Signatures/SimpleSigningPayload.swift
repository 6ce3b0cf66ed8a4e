import Foundation

/// The cosign "simple signing" JSON a `.sig` layer carries, read only after its signature verified.
///
/// Only the fields that bind the signature to an image are read; unknown fields are ignored as cosign does, but a
/// wrong `critical.type` is refused so that some other signed JSON cannot be replayed as an image signature.
struct SimpleSigningPayload {
    static let signatureType = "cosign container image signature"

    let type: String
    let manifestDigest: String
    let dockerReference: String
    /// `optional`, with non-string values in their JSON spelling.
    let annotations: [String: String]

    init(json bytes: [UInt8]) throws(PayloadError) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw PayloadError("the payload is not a JSON object")
        }
        guard let critical = root["critical"] as? [String: Any] else {
            throw PayloadError("the payload has no \"critical\" object")
        }
        guard let type = critical["type"] as? String else { throw PayloadError("the payload has no critical.type") }
        guard let digest = (critical["image"] as? [String: Any])?["docker-manifest-digest"] as? String else {
            throw PayloadError("the payload has no critical.image.docker-manifest-digest")
        }
        guard let reference = (critical["identity"] as? [String: Any])?["docker-reference"] as? String else {
            throw PayloadError("the payload has no critical.identity.docker-reference")
        }
        self.type = type
        self.manifestDigest = digest
        self.dockerReference = reference
        self.annotations = SimpleSigningPayload.strings(root["optional"])
    }

    /// A JSON object's members as strings; `null` or a non-object gives no annotations.
    static func strings(_ value: Any?) -> [String: String] {
        guard let object = value as? [String: Any] else { return [:] }
        var out: [String: String] = [:]
        for (key, value) in object {
            if let text = value as? String {
                out[key] = text
            } else if let data = try? JSONSerialization.data(
                withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
            {
                out[key] = String(decoding: data, as: UTF8.self)
            }
        }
        return out
    }
}

/// Signed content that is not what an image signature must say.
struct PayloadError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
