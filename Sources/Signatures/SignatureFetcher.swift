import AdmissionAPI
import Foundation
import PortcullisCrypto

/// Collects every cosign signature stored for one image digest: the legacy `.sig` tag's simple-signing layers and
/// sigstore bundle v0.3 referrers (through the referrers API, or the referrers tag where a registry lacks it).
///
/// Nothing is judged here except the shape of registry answers; a missing `.sig` tag or referrer list is "no
/// signatures", while any other registry trouble is thrown so the verifier can fail closed. One fetcher serves one
/// verification: each distinct blob is downloaded once, however many layers name it.
struct SignatureFetcher {
    static let simpleSigningLayer = "application/vnd.dev.cosign.simplesigning.v1+json"
    static let signatureAnnotation = "dev.cosignproject.cosign/signature"
    static let bundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
    /// More referrers than this for one digest is not a signing pipeline; refuse rather than fetch them all.
    static let maxReferrers = 16

    let client: RegistryClient
    /// Blobs already downloaded (and checked against their digest), by digest.
    private var blobs: [String: [UInt8]] = [:]

    init(client: RegistryClient) {
        self.client = client
    }

    mutating func candidates(image: ImageReference, digest: String, deadline: UInt64) throws(RegistryError)
        -> [SignatureCandidate]
    {
        try legacySignatures(image: image, digest: digest, deadline: deadline)
            + bundles(image: image, digest: digest, deadline: deadline)
    }

    private mutating func legacySignatures(image: ImageReference, digest: String, deadline: UInt64)
        throws(RegistryError)
        -> [SignatureCandidate]
    {
        let tag = digest.replacingOccurrences(of: ":", with: "-") + ".sig"
        let manifest: RegistryClient.Manifest
        do {
            manifest = try client.manifest(
                registry: image.domain, repository: image.path, reference: tag, deadline: deadline)
        } catch  where error.kind == .notFound {
            return []
        }
        var result: [SignatureCandidate] = []
        for (index, layer) in try layers(of: manifest.bytes, what: "signature manifest \(tag)").enumerated()
        where layer.mediaType == SignatureFetcher.simpleSigningLayer {
            let source = "tag \(tag) layer \(index)"
            guard let signature = layer.annotations[SignatureFetcher.signatureAnnotation] else { continue }
            let payload = try blob(image: image, layer: layer, source: source, deadline: deadline)
            result.append(
                SignatureCandidate(
                    source: source,
                    material: .simpleSigning(payload: payload, layerDigest: layer.digest, signature: signature),
                    annotations: layer.annotations))
        }
        return result
    }

    private mutating func bundles(image: ImageReference, digest: String, deadline: UInt64) throws(RegistryError)
        -> [SignatureCandidate]
    {
        let index: [UInt8]
        if let listed = try client.referrers(
            registry: image.domain, repository: image.path, digest: digest, deadline: deadline)
        {
            index = listed
        } else {
            let tag = digest.replacingOccurrences(of: ":", with: "-")
            do {
                index = try client.manifest(
                    registry: image.domain, repository: image.path, reference: tag, deadline: deadline
                ).bytes
            } catch  where error.kind == .notFound {
                return []
            }
        }
        guard let root = try? JSONSerialization.jsonObject(with: Data(index)) as? [String: Any] else {
            throw RegistryError(.malformed, "\(image.domain) sent a referrers list for \(digest) that is not JSON")
        }
        let descriptors = (root["manifests"] as? [[String: Any]] ?? []).filter {
            ($0["artifactType"] as? String).map { $0 == SignatureFetcher.bundleMediaType } ?? true
        }
        guard descriptors.count <= SignatureFetcher.maxReferrers else {
            throw RegistryError(.tooLarge, "\(image.domain) lists \(descriptors.count) referrers for \(digest)")
        }
        var result: [SignatureCandidate] = []
        for descriptor in descriptors {
            guard let referrer = descriptor["digest"] as? String, ImageReference.isSHA256Digest(referrer) else {
                continue
            }
            let manifest = try client.manifest(
                registry: image.domain, repository: image.path, reference: referrer, deadline: deadline)
            let layers = try layers(of: manifest.bytes, what: "referrer \(referrer)")
            guard layers.count == 1, let layer = layers.first, layer.mediaType == SignatureFetcher.bundleMediaType
            else { continue }
            let source = "referrer \(referrer)"
            let bundle = try blob(image: image, layer: layer, source: source, deadline: deadline)
            result.append(
                SignatureCandidate(source: source, material: .sigstoreBundle(bundle: bundle, layerDigest: layer.digest))
            )
        }
        return result
    }

    private struct Layer {
        let mediaType: String
        let digest: String
        let size: Int
        let annotations: [String: String]
    }

    private func layers(of manifest: [UInt8], what: String) throws(RegistryError) -> [Layer] {
        guard let root = try? JSONSerialization.jsonObject(with: Data(manifest)) as? [String: Any],
            let layers = root["layers"] as? [[String: Any]]
        else { throw RegistryError(.malformed, "the \(what) is not an image manifest with layers") }
        var result: [Layer] = []
        for layer in layers {
            guard let mediaType = layer["mediaType"] as? String, let digest = layer["digest"] as? String,
                ImageReference.isSHA256Digest(digest)
            else { throw RegistryError(.malformed, "the \(what) has a layer without a media type or sha256 digest") }
            result.append(
                Layer(
                    mediaType: mediaType, digest: digest, size: layer["size"] as? Int ?? 0,
                    annotations: layer["annotations"] as? [String: String] ?? [:]))
        }
        return result
    }

    /// The layer's blob, checked against its digest: bytes that hash to something else are the registry's fault
    /// (broken storage, a tampering proxy), not a bad signature, so they are thrown as `digestMismatch`.
    private mutating func blob(image: ImageReference, layer: Layer, source: String, deadline: UInt64)
        throws(RegistryError) -> [UInt8]
    {
        if let fetched = blobs[layer.digest] { return fetched }
        guard layer.size <= client.configuration.maxBlobBytes else {
            throw RegistryError(
                .tooLarge,
                "\(source) declares a \(layer.size)-byte blob, over the \(client.configuration.maxBlobBytes)-byte limit"
            )
        }
        let bytes = try client.blob(
            registry: image.domain, repository: image.path, digest: layer.digest, deadline: deadline)
        let served = "sha256:" + SHA256.hex(of: bytes)
        guard served == layer.digest else {
            throw RegistryError(
                .digestMismatch,
                "registry \(image.domain) served blob \(layer.digest) (\(source)) whose bytes hash to \(served)")
        }
        blobs[layer.digest] = bytes
        return bytes
    }
}
