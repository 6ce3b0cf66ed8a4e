/// Rules `image-reference`, `registry-origin` and `image-digest`: where every image comes from and whether
/// it is pinned.
///
/// Reads: `image` of every entry in `containers`, `initContainers` (sidecars included) and
/// `ephemeralContainers`.
/// Allows: a valid reference (``ImageReference``) whose normalised repository is one of the class's
/// `registries` or lies under one at a path-segment boundary; with `requireDigest`, only references that
/// carry `@sha256:` and 64 lowercase hex digits (a tag alongside the digest is allowed; the digest wins).
enum ImageOriginCheck {
    static func check(_ pod: PodUnderReview, in dataClass: DataClass) -> [Finding] {
        var findings: [Finding] = []
        let allowed = dataClass.registries.joined(separator: ", ")
        for entry in pod.containers {
            let image = entry.container.image
            let path = entry.path + ".image"
            let who = "\(pod.subject): \(entry.role) \(entry.container.name.quotedForMessage) (\(path))"
            let reference: ImageReference
            do {
                reference = try ImageReference.parse(image)
            } catch {
                findings.append(
                    Finding(
                        rule: .imageReference, path: path,
                        message: "\(who): image \(image.quotedForMessage) is not a valid image reference: \(error.reason)",
                        image: image))
                continue
            }
            if !dataClass.registries.contains(where: { ImageReference.repository(reference.repository, isUnder: $0) }) {
                findings.append(
                    Finding(
                        rule: .registryOrigin, path: path,
                        message: "\(who): image \(image.quotedForMessage) is from registry \(reference.domain.quotedForMessage)"
                            + " (repository \(reference.repository)); class \(dataClass.name.quotedForMessage) allows only \(allowed)",
                        image: image))
            }
            if dataClass.requireDigest && !reference.isPinnedBySHA256 {
                let found = reference.digest.map { "is pinned by \($0.prefix(while: { $0 != ":" })), not sha256" }
                    ?? "is not pinned by digest (tag \(reference.tag ?? "latest"))"
                findings.append(
                    Finding(
                        rule: .imageDigest, path: path,
                        message: "\(who): image \(image.quotedForMessage) \(found); class \(dataClass.name.quotedForMessage)"
                            + " requires @sha256:<64 lowercase hex>",
                        image: image))
            }
        }
        return findings
    }
}
