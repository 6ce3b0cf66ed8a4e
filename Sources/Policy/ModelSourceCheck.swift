import AdmissionAPI

/// Rule `model-source`: models loaded from a URI come from the class's model sources, pinned where it says so.
///
/// Reads: `storageUri` of an InferenceService's `spec.predictor.model` and of its framework fields
/// (`spec.predictor.sklearn`, …), and whether a `storage` reference stands in for one. `oci://` URIs are not
/// read here: they are images, judged by ``ImageOriginCheck`` and ``ImageSignatureCheck``.
/// Allows: any URI when the class sets no `models`; otherwise a URI with scheme s3, gs, hf, pvc or https whose
/// location lies under one of `models.sources` at a path-segment boundary, with no `.`/`..` segments and, with
/// `requirePinned`, an immutable version (`@<40-hex commit>`, `?versionId=`, `#<generation>`). A `storage`
/// reference without a URI names its bucket in a Secret the request does not carry, so such a class denies it.
enum ModelSourceCheck {
    static func check(_ pod: PodUnderReview, in dataClass: DataClass) -> [Finding] {
        guard let models = dataClass.models, !pod.modelSources.isEmpty else { return [] }
        var allowed: String { models.sources.joined(separator: ", ") }
        var className: String { dataClass.name.quotedForMessage }
        var findings: [Finding] = []
        for source in pod.modelSources {
            guard let uri = source.uri else {
                findings.append(
                    Finding(
                        rule: .modelSource, path: source.path,
                        message:
                            "\(pod.subject): model (\(source.path)) is loaded through a storage reference, whose bucket"
                            + " the request does not show; class \(className) requires a storageUri under \(allowed)"))
                continue
            }
            if uri.hasPrefix("oci://") { continue }
            let who = "\(pod.subject): model \(uri.quotedForMessage) (\(source.path))"
            let parsed: ModelURI
            do {
                parsed = try ModelURI.parse(uri)
            } catch {
                findings.append(
                    Finding(
                        rule: .modelSource, path: source.path,
                        message: "\(who) cannot be judged: \(error.reason); class \(className) allows only \(allowed)"))
                continue
            }
            if !models.sources.contains(where: parsed.isUnder) {
                findings.append(
                    Finding(
                        rule: .modelSource, path: source.path,
                        message:
                            "\(who) is not under an allowed model source; class \(className) allows only \(allowed)"))
            } else if models.requirePinned, case let (false, form) = parsed.pinning {
                findings.append(
                    Finding(
                        rule: .modelSource, path: source.path,
                        message:
                            "\(who) is not pinned to an immutable version; class \(className) requires pinned models:"
                            + " \(form)"))
            }
        }
        return findings
    }
}
