import AdmissionAPI

/// Rule `denied-tag`: tags a class never runs, such as `latest` or `nightly`, whose content changes under the same
/// name, or `debug-*` builds.
///
/// Reads: every image the pod pulls, as ``ImageOriginCheck`` does. Allows: an image whose tag is not in `deniedTags`
/// (an entry ending in `*` is a prefix; tags are case-sensitive, as registries treat them). An image with neither tag
/// nor digest is pulled as `latest` and judged so. A tag beside a digest is still judged: the digest decides what
/// runs, but a denied tag on it names a build the class refuses. An invalid reference is `image-reference`'s.
enum DeniedTagCheck {
    /// `images`: the pod's ``PodUnderReview/parsedImages``, parsed once for every image check.
    static func check(_ pod: PodUnderReview, images: [PodUnderReview.ParsedImage], in dataClass: DataClass) -> [Finding]
    {
        guard !dataClass.deniedTags.isEmpty else { return [] }
        return images.findings { entry, reference in
            let implicit = reference.tag == nil && reference.digest == nil
            guard let tag = reference.tag ?? (implicit ? "latest" : nil), tag.isListed(in: dataClass.deniedTags)
            else { return nil }
            let has =
                implicit ? "has no tag or digest, so it is pulled as \"latest\"" : "has tag \(tag.quotedForMessage)"
            return Finding(
                rule: .deniedTag, path: entry.path,
                message:
                    "\(pod.describe(entry)): image \(entry.image.quotedForMessage) \(has), which class"
                    + " \(dataClass.name.quotedForMessage) denies (deniedTags: "
                    + dataClass.deniedTags.joined(separator: ", ")
                    + "); use a release tag, or pin by digest without a denied tag",
                image: entry.image)
        }
    }
}
