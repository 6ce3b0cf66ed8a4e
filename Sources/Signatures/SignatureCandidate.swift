/// Signature material fetched from the registry for one image digest, before any check.
///
/// Bytes are kept exactly as served: signatures are over these bytes, and re-serialising JSON would both break
/// valid signatures and hide tampering.
public struct SignatureCandidate: Sendable {
    public enum Material: Sendable {
        /// One `application/vnd.dev.cosign.simplesigning.v1+json` layer of the `.sig` manifest: the blob, the
        /// digest the manifest claims for it, and the base64 `dev.cosignproject.cosign/signature` annotation.
        case simpleSigning(payload: [UInt8], layerDigest: String, signature: String)
        /// The single `application/vnd.dev.sigstore.bundle.v0.3+json` layer of a referrer manifest.
        case sigstoreBundle(bundle: [UInt8], layerDigest: String)
    }

    /// Where it came from, for messages: `tag sha256-….sig, layer 0` or `referrer sha256:…`.
    public let source: String
    public let material: Material
    /// The `.sig` layer's annotations, where cosign puts keyless material (`dev.sigstore.cosign/certificate`,
    /// `…/chain`, `…/bundle`); empty for bundles, which carry it inside.
    public let annotations: [String: String]

    public init(source: String, material: Material, annotations: [String: String] = [:]) {
        self.source = source
        self.material = material
        self.annotations = annotations
    }

    public var format: VerifiedSignature.Format {
        switch material {
        case .simpleSigning: .simpleSigning
        case .sigstoreBundle: .sigstoreBundle
        }
    }
}
