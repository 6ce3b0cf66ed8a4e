import AdmissionAPI

/// Rules `image-reference`, `registry-origin` and `image-digest`: where every image comes from and whether
/// it is pinned.
///
/// Reads: `image` of every entry in `containers`, `initContainers` (sidecars included) and
/// `ephemeralContainers`; `image.reference` of every image volume, and the image attribute of every inline CSI
/// volume whose driver the policy lists in `imageVolumeDrivers` (models and other artifacts are images too).
/// Allows: a valid reference (``ImageReference``) whose normalised repository is one of the class's
/// `registries` or lies under one at a path-segment boundary; with `requireDigest`, only references that
/// carry `@sha256:` and 64 lowercase hex digits (a tag alongside the digest is allowed; the digest wins).
enum ImageOriginCheck {
    /// `images`: the pod's ``PodUnderReview/parsedImages``, parsed once for every image check.
    static func check(_ pod: PodUnderReview, images: [PodUnderReview.ParsedImage], in dataClass: DataClass) -> [Finding]
    {
        var findings: [Finding] = []
        for parsed in images {
            let entry = parsed.entry
            let image = entry.image
            // Paths and messages are only built for findings: this loop runs for every image of every request.
            var path: String { entry.path }
            var who: String { pod.describe(entry) }
            let reference: ImageReference
            switch parsed.reference {
            case .success(let parsed): reference = parsed
            case .failure(let error):
                findings.append(
                    Finding(
                        rule: .imageReference, path: path,
                        message:
                            "\(who): image \(image.quotedForMessage) is not a valid image reference: \(error.reason)",
                        image: image))
                continue
            }
            let repository = reference.repository
            if !dataClass.registries.contains(where: { ImageReference.repository(repository, isUnder: $0) }) {
                findings.append(
                    Finding(
                        rule: .registryOrigin, path: path,
                        message:
                            "\(who): image \(image.quotedForMessage) is from registry"
                            + " \(reference.domain.quotedForMessage)"
                            + " (repository \(repository)); class \(dataClass.name.quotedForMessage) allows only "
                            + dataClass.registries.joined(separator: ", "),
                        image: image))
            }
            if dataClass.requireDigest && !reference.isPinnedBySHA256 {
                let found =
                    reference.digest.map { "is pinned by \($0.prefix(while: { $0 != ":" })), not sha256" }
                    ?? "is not pinned by digest (tag \(reference.tag ?? "latest"))"
                findings.append(
                    Finding(
                        rule: .imageDigest, path: path,
                        message:
                            "\(who): image \(image.quotedForMessage) \(found); class \(dataClass.name.quotedForMessage)"
                            + " requires @sha256:<64 lowercase hex>",
                        image: image))
            }
        }
        return findings
    }
}
