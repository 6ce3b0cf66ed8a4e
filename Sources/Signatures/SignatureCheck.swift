import Foundation
import PortcullisCrypto

/// Checks one fetched signature against one authority, recording each step so `portcullis image verify` can show
/// a developer exactly which check failed.
///
/// Order matters: the bytes are tied to the manifest first (digest), then to a trusted key (signature), and only
/// then is their content believed (type, digest, repository).
public struct SignatureCheck: Sendable {
    public let candidate: String
    public let authority: String
    /// What was checked, in order, each line saying whether it held.
    public let steps: [String]
    /// The verified signature, or why this candidate does not count for this authority.
    public let result: Result<VerifiedSignature, Rejection>

    /// Why a candidate did not verify.
    public struct Rejection: Error, Sendable, Hashable {
        public let message: String
    }

    public static func run(
        _ candidate: SignatureCandidate, image: ImageReference, digest: String, authority: Authority
    ) -> SignatureCheck {
        var steps: [String] = []
        func reject(_ message: String) -> SignatureCheck {
            steps.append("FAIL " + message)
            return SignatureCheck(
                candidate: candidate.source, authority: authority.name, steps: steps,
                result: .failure(Rejection(message: "\(candidate.source): \(message)")))
        }
        let signed: [UInt8]
        let layerDigest: String
        let signatures: [[UInt8]]
        switch candidate.material {
        case .simpleSigning(let payload, let digestOfLayer, let encoded):
            signed = payload
            layerDigest = digestOfLayer
            guard let raw = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters), !raw.isEmpty else {
                return reject("the dev.cosignproject.cosign/signature annotation is not base64")
            }
            signatures = [[UInt8](raw)]
        case .sigstoreBundle(let bundle, let digestOfLayer):
            layerDigest = digestOfLayer
            let blobDigest = "sha256:" + SHA256.hex(of: bundle)
            guard blobDigest == layerDigest else {
                return reject("the bundle blob hashes to \(blobDigest), but the manifest names \(layerDigest)")
            }
            do {
                let envelope = try DSSEEnvelope(bundle: bundle)
                signed = envelope.preAuthenticationEncoding
                signatures = envelope.signatures
            } catch { return reject(error.message) }
        }
        if case .simpleSigning(let payload, _, _) = candidate.material {
            let blobDigest = "sha256:" + SHA256.hex(of: payload)
            guard blobDigest == layerDigest else {
                return reject("the payload blob hashes to \(blobDigest), but the manifest names \(layerDigest)")
            }
        }
        steps.append("ok   blob sha256 matches the layer digest \(layerDigest)")

        guard let key = authority.keys.first(where: { key in signatures.contains { key.isValidSignature($0, for: signed) } })
        else {
            let keys = authority.keys.map(\.fingerprint).joined(separator: ", ")
            return reject("the signature does not verify with any key of authority \(authority.name) (\(keys))")
        }
        steps.append("ok   signature verifies with \(key.algorithm.rawValue) key \(key.fingerprint)")

        let annotations: [String: String]
        let signedReference: String?
        switch candidate.material {
        case .simpleSigning(let payload, _, _):
            let content: SimpleSigningPayload
            do { content = try SimpleSigningPayload(json: payload) } catch { return reject(error.message) }
            guard content.type == SimpleSigningPayload.signatureType else {
                return reject("critical.type is \"\(content.type)\", not \"\(SimpleSigningPayload.signatureType)\"")
            }
            guard content.manifestDigest == digest else {
                return reject("the signature is for digest \(content.manifestDigest), not \(digest)")
            }
            steps.append("ok   critical.image.docker-manifest-digest is \(digest)")
            if let problem = authority.identity.problem(signedReference: content.dockerReference, image: image) {
                return reject(problem)
            }
            steps.append("ok   docker-reference \(content.dockerReference) satisfies identity rule \(authority.identity)")
            annotations = content.annotations
            signedReference = content.dockerReference
        case .sigstoreBundle(let bundle, _):
            let statement: InTotoStatement
            do {
                let envelope = try DSSEEnvelope(bundle: bundle)
                guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
                    return reject("the DSSE payloadType is \(envelope.payloadType), not \(DSSEEnvelope.inTotoPayloadType)")
                }
                statement = try InTotoStatement(json: envelope.payload)
            } catch { return reject(error.message) }
            guard statement.predicateType == DSSEEnvelope.imageSignaturePredicate else {
                return reject(
                    "the statement's predicateType is \(statement.predicateType), not an image signature "
                        + "(\(DSSEEnvelope.imageSignaturePredicate))")
            }
            guard let subject = statement.subject(for: digest) else {
                let named = statement.subjects.compactMap(\.sha256).map { "sha256:" + $0 }.joined(separator: ", ")
                return reject("the statement's subjects (\(named)) do not include \(digest)")
            }
            steps.append("ok   in-toto subject digest is \(digest)")
            if !subject.name.isEmpty {
                if let problem = authority.identity.problem(signedReference: subject.name, image: image) {
                    return reject(problem)
                }
                steps.append("ok   subject name \(subject.name) satisfies identity rule \(authority.identity)")
            }
            annotations = subject.annotations
            signedReference = subject.name.isEmpty ? nil : subject.name
        }
        let verified = VerifiedSignature(
            authority: authority.name, keyFingerprint: key.fingerprint, digest: digest, annotations: annotations,
            format: candidate.format, signedReference: signedReference)
        return SignatureCheck(candidate: candidate.source, authority: authority.name, steps: steps, result: .success(verified))
    }
}
