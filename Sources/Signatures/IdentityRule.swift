import AdmissionAPI

/// Which repository a signature's `critical.identity.docker-reference` must name for the image being admitted.
///
/// cosign itself checks only the digest (`any`). That lets a signature made for `intake/tool` vouch for the same
/// bytes pushed as `prod/payments`, so the default here is stricter: the signed repository must be the image's own.
public enum IdentityRule: Sendable, Hashable, CustomStringConvertible {
    /// The signed reference names the same normalised repository as the image.
    case matchRepository
    /// Images under `imagePrefix` were copied from `signedPrefix`: the signed reference must be the image's name with
    /// the one prefix replaced by the other (both `registry/path`, matched on whole path components).
    case remap(imagePrefix: String, signedPrefix: String)
    /// Any docker-reference is accepted; only the digest binds the signature to the image (cosign's behaviour).
    case any

    public var description: String {
        switch self {
        case .matchRepository: "matchRepository"
        case .remap(let from, let to): "remap \(from) -> \(to)"
        case .any: "any"
        }
    }

    /// `nil` when `signedReference` is acceptable for `image`, else why not.
    public func problem(signedReference: String, image: ImageReference) -> String? {
        if case .any = self { return nil }
        let signed: ImageReference
        do { signed = try ImageReference.parse(signedReference) } catch {
            return "the signed docker-reference \"\(signedReference)\" is not an image reference (\(error.reason))"
        }
        let expected: String
        switch self {
        case .any: return nil
        case .matchRepository: expected = image.repository
        case .remap(let imagePrefix, let signedPrefix):
            guard image.repository == imagePrefix || image.repository.hasPrefix(imagePrefix + "/") else {
                return "image \(image.repository) is not under the remap prefix \(imagePrefix)"
            }
            expected = signedPrefix + image.repository.dropFirst(imagePrefix.count)
        }
        guard signed.repository == expected else {
            return "the signature is for repository \(signed.repository), expected \(expected) (identity rule \(self))"
        }
        return nil
    }
}
