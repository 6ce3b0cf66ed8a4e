import AdmissionAPI
import Foundation
import PortcullisCrypto

/// A bundle referrer that was not read, and why: listed in a denial so a person sees what was not looked at.
public struct UnreadReferrer: Sendable, Hashable {
    public let source: String
    public let reason: String
    /// Whether the cause was registry trouble that may clear (an outage, a timeout), not the referrer itself.
    public let transient: Bool
}

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
    /// More bundles that may be signatures than this for one digest is not a signing pipeline: the rest are left
    /// unread (and said so) rather than downloaded. Referrers labelled with a predicate nobody asked for do not count,
    /// and those labelled with a required attestation's type count against `maxReferrerManifests` instead, per type:
    /// a year of weekly scans must not crowd out the signature, nor be cut to the first sixteen.
    static let maxReferrers = 16
    /// Referrer manifests (each bounded by `maxManifestBytes`) read to learn a predicate type the referrers list
    /// does not give: enough for a year of weekly scans behind a registry without the referrers API.
    static let maxReferrerManifests = 64

    let client: RegistryClient
    /// The in-toto predicate types worth downloading: the image signature's, and those the policy requires.
    let predicateTypes: Set<String>
    /// Referrers that might have mattered but could not be read, for the verdict to mention.
    private(set) var unread: [UnreadReferrer] = []
    /// Blobs already downloaded (and checked against their digest), by digest.
    private var blobs: [String: [UInt8]] = [:]

    init(client: RegistryClient, predicateTypes: Set<String> = [DSSEEnvelope.imageSignaturePredicate]) {
        self.client = client
        self.predicateTypes = predicateTypes
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

    /// Bundle referrers, keeping only those that may hold a predicate type in `predicateTypes`.
    ///
    /// Attestations (SBOMs, provenance, daily scans) share the signature's artifact type, so the predicate type is
    /// learnt as cheaply as possible before anything is downloaded or counted: from the descriptor annotation a
    /// referrers API lists, else from the referrer manifest's own annotation (cosign's fallback tag drops the
    /// descriptor's), else from the bundle. Only referrers that may matter count against `maxReferrers`, and a
    /// referrer that cannot be read (oversized, malformed, a failed request) is noted in `unread` instead of thrown,
    /// so it never hides a valid signature next to it.
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
        guard let listed = OCIManifestJSON.referrers(index) else {
            throw RegistryError(.malformed, "\(image.domain) sent a referrers list for \(digest) that is not JSON")
        }
        var named: [String] = []
        var unnamed: [String] = []
        var labels: [String: String] = [:]
        for referrer in listed where referrer.artifactType.map({ $0 == SignatureFetcher.bundleMediaType }) ?? true {
            switch referrer.predicateType {
            case .some(let type) where predicateTypes.contains(type):
                named.append(referrer.digest)
                labels[referrer.digest] = type
            case .some: continue
            case .none: unnamed.append(referrer.digest)
            }
        }
        // Referrers that name a wanted predicate go first, so unlabelled ones beyond a limit cannot crowd them out.
        let wanted = named + unnamed
        let examined = wanted.prefix(SignatureFetcher.maxReferrerManifests)
        if wanted.count > examined.count {
            unread.append(
                UnreadReferrer(
                    source: "\(wanted.count - examined.count) referrers from \(wanted[examined.count])",
                    reason: "not read: \(wanted.count) referrers that may hold a signature, "
                        + "over the limit of \(SignatureFetcher.maxReferrerManifests)",
                    transient: false))
        }
        var result: [SignatureCandidate] = []
        var counts: [String: Int] = [:]
        for referrer in examined {
            let source = "referrer \(referrer)"
            do {
                let manifest = try client.manifest(
                    registry: image.domain, repository: image.path, reference: referrer, deadline: deadline)
                let label = OCIManifestJSON.predicateType(ofManifest: manifest.bytes) ?? labels[referrer]
                if let label, !predicateTypes.contains(label) { continue }
                let layers = try layers(of: manifest.bytes, what: source)
                guard layers.count == 1, let layer = layers.first, layer.mediaType == SignatureFetcher.bundleMediaType
                else { continue }
                let kind = label ?? DSSEEnvelope.imageSignaturePredicate
                let limit =
                    kind == DSSEEnvelope.imageSignaturePredicate
                    ? SignatureFetcher.maxReferrers : SignatureFetcher.maxReferrerManifests
                guard counts[kind, default: 0] < limit else {
                    let what = label == nil ? "that may be signatures" : "labelled \(kind)"
                    unread.append(
                        UnreadReferrer(
                            source: source, reason: "not read: already \(limit) bundles \(what)", transient: false))
                    continue
                }
                counts[kind, default: 0] += 1
                let bundle = try blob(image: image, layer: layer, source: source, deadline: deadline)
                result.append(
                    SignatureCandidate(
                        source: source, material: .sigstoreBundle(bundle: bundle, layerDigest: layer.digest)))
            } catch {
                // As for the whole fetch: registry trouble may clear, except bytes that do not match their digest
                // and a referrer too large to read.
                let transient = error.kind != .digestMismatch && error.kind != .tooLarge
                unread.append(UnreadReferrer(source: source, reason: error.message, transient: transient))
            }
        }
        return result
    }

    private func layers(of manifest: [UInt8], what: String) throws(RegistryError) -> [OCIManifestJSON.Layer] {
        switch OCIManifestJSON.layers(manifest) {
        case .success(let layers): return layers
        case .failure(.notAManifest):
            throw RegistryError(.malformed, "the \(what) is not an image manifest with layers")
        case .failure(.badLayer):
            throw RegistryError(.malformed, "the \(what) has a layer without a media type or sha256 digest")
        }
    }

    /// The layer's blob, checked against its digest: bytes that hash to something else are the registry's fault
    /// (broken storage, a tampering proxy), not a bad signature, so they are thrown as `digestMismatch`.
    private mutating func blob(image: ImageReference, layer: OCIManifestJSON.Layer, source: String, deadline: UInt64)
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
