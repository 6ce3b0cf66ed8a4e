import AdmissionAPI
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

    /// - Parameter attestationTypes: in-toto predicate types accepted as attestations besides the image signature;
    ///   a statement of one of them verifies like a signature (key, subject digest, identity) and carries its facts.
    public static func run(
        _ candidate: SignatureCandidate, image: ImageReference, digest: String, authority: Authority,
        attestationTypes: Set<String> = []
    ) -> SignatureCheck {
        var steps: [String] = []
        func reject(_ message: String) -> SignatureCheck {
            steps.append("FAIL " + message)
            return SignatureCheck(
                candidate: candidate.source, authority: authority.name, steps: steps,
                result: .failure(Rejection(message: "\(candidate.source): \(message)")))
        }
        let (blob, layerDigest): ([UInt8], String) =
            switch candidate.material {
            case .simpleSigning(let payload, let digest, _): (payload, digest)
            case .sigstoreBundle(let bundle, let digest): (bundle, digest)
            }
        let blobDigest = "sha256:" + SHA256.hex(of: blob)
        guard blobDigest == layerDigest else {
            return reject("the blob hashes to \(blobDigest), but the manifest names \(layerDigest)")
        }
        steps.append("ok   blob sha256 matches the layer digest \(layerDigest)")
        let signed: [UInt8]
        let signatures: [[UInt8]]
        var envelope: DSSEEnvelope?
        switch candidate.material {
        case .simpleSigning(let payload, _, let encoded):
            guard let raw = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters), !raw.isEmpty else {
                return reject("the dev.cosignproject.cosign/signature annotation is not base64")
            }
            signed = payload
            signatures = [[UInt8](raw)]
        case .sigstoreBundle(let bundle, _):
            let parsed: DSSEEnvelope
            do { parsed = try DSSEEnvelope(bundle: bundle) } catch { return reject(error.message) }
            envelope = parsed
            signed = parsed.preAuthenticationEncoding
            signatures = parsed.signatures
        }

        let keyFingerprint: String
        var signer: KeylessSigner?
        if let keyless = authority.keyless {
            do {
                let proven = try KeylessVerification.run(
                    candidate, envelope: envelope, signatures: signatures, policy: keyless, authority: authority.name,
                    steps: &steps)
                signer = proven
                keyFingerprint = proven.certificateFingerprint
            } catch { return reject(error.message) }
        } else {
            let verifying = authority.keys.lazy.compactMap { key in
                signatures.lazy.compactMap { key.scheme(verifying: $0, for: signed) }.first.map { (key, $0) }
            }.first
            guard let (key, scheme) = verifying else {
                let keys = authority.keys.map(\.fingerprint).joined(separator: ", ")
                return reject("the signature does not verify with any key of authority \(authority.name) (\(keys))")
            }
            steps.append("ok   signature verifies with \(key.algorithm.rawValue) key \(key.fingerprint) (\(scheme))")
            keyFingerprint = key.fingerprint
        }

        let annotations: [String: String]
        let signedReference: String?
        var attestation: AttestationFacts?
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
            steps.append(
                "ok   docker-reference \(content.dockerReference) satisfies identity rule \(authority.identity)")
            annotations = content.annotations
            signedReference = content.dockerReference
        case .sigstoreBundle:
            let statement: InTotoStatement
            do {
                guard let envelope else { return reject("the bundle has no DSSE envelope") }
                guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
                    return reject(
                        "the DSSE payloadType is \(envelope.payloadType), not \(DSSEEnvelope.inTotoPayloadType)")
                }
                statement = try InTotoStatement(json: envelope.payload)
            } catch { return reject(error.message) }
            let isAttestation = attestationTypes.contains(statement.predicateType)
            guard statement.predicateType == DSSEEnvelope.imageSignaturePredicate || isAttestation else {
                return reject(
                    "the statement's predicateType is \(statement.predicateType), not an image signature "
                        + "(\(DSSEEnvelope.imageSignaturePredicate))")
            }
            if isAttestation {
                attestation = AttestationFacts(
                    predicateType: statement.predicateType, predicate: statement.predicate, bundleDigest: layerDigest)
            }
            guard let subject = statement.subject(for: digest) else {
                let named = statement.subjects.compactMap(\.sha256).map { "sha256:" + $0 }.joined(separator: ", ")
                return reject("the statement's subjects (\(named)) do not include \(digest)")
            }
            steps.append(
                "ok   in-toto subject digest is \(digest)"
                    + (isAttestation ? " (attestation \(statement.predicateType))" : ""))
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
            authority: authority.name, keyFingerprint: keyFingerprint, digest: digest, annotations: annotations,
            format: candidate.format, signedReference: signedReference, signer: signer, attestation: attestation)
        return SignatureCheck(
            candidate: candidate.source, authority: authority.name, steps: steps, result: .success(verified))
    }
}
