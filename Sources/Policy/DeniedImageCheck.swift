import AdmissionAPI

/// Rule `denied-image`: images a class never runs — a repository in every version, one tag of it (a release with a
/// known vulnerability), or one digest (a build known to be compromised).
///
/// Reads: every image the pod pulls, as ``ImageOriginCheck`` does. Allows: an image that no `deniedImages` entry
/// matches; an entry matches an image of its repository when the entry's tag (if it has one) is the image's tag and
/// its digest (if it has one) is the image's digest. An invalid reference is `image-reference`'s.
enum DeniedImageCheck {
    /// `images`: the pod's ``PodUnderReview/parsedImages``, parsed once for every image check.
    static func check(_ pod: PodUnderReview, images: [PodUnderReview.ParsedImage], in dataClass: DataClass) -> [Finding]
    {
        guard !dataClass.deniedImages.isEmpty else { return [] }
        return images.findings { entry, reference in
            guard let denied = dataClass.deniedImages.first(where: { Self.entry($0, matches: reference) }) else {
                return nil
            }
            return Finding(
                rule: .deniedImage, path: entry.path,
                message:
                    "\(pod.describe(entry)): image \(entry.image.quotedForMessage) is denied by class"
                    + " \(dataClass.name.quotedForMessage) (deniedImages entry \(denied)); use another version or"
                    + " image",
                image: entry.image)
        }
    }

    static func entry(_ denied: ImageReference, matches image: ImageReference) -> Bool {
        denied.repository == image.repository && (denied.tag.map { $0 == image.tag } ?? true)
            && (denied.digest.map { $0 == image.digest } ?? true)
    }
}
