import AdmissionAPI

/// Rule `denied-registry`: registries, or paths of a registry, a class never pulls from, even where its `registries`
/// allow the host (`registry.internal` allowed, `registry.internal/experimental` denied).
///
/// Reads: every image the pod pulls (containers of every kind, image volumes, image-pulling CSI volumes, `oci://`
/// models), as ``ImageOriginCheck`` does. Allows: an image whose normalised repository is not one of the class's
/// `deniedRegistries` and lies under none at a path-segment boundary. An invalid reference is `image-reference`'s.
enum DeniedRegistryCheck {
    /// `images`: the pod's ``PodUnderReview/parsedImages``, parsed once for every image check.
    static func check(_ pod: PodUnderReview, images: [PodUnderReview.ParsedImage], in dataClass: DataClass) -> [Finding]
    {
        guard !dataClass.deniedRegistries.isEmpty else { return [] }
        return images.findings { entry, reference in
            guard
                let denied = dataClass.deniedRegistries.first(where: {
                    ImageReference.repository(reference.repository, isUnder: $0)
                })
            else { return nil }
            return Finding(
                rule: .deniedRegistry, path: entry.path,
                message:
                    "\(pod.describe(entry)): image \(entry.image.quotedForMessage) is from \(denied), which class"
                    + " \(dataClass.name.quotedForMessage) denies (deniedRegistries); use an image from an allowed"
                    + " registry outside it",
                image: entry.image)
        }
    }
}
