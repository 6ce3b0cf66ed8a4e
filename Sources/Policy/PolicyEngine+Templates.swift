import AdmissionAPI

/// One pod spec a request holds, as the engine judges it.
struct ReviewedTemplate {
    var spec: PodSpec
    /// The JSON path of `spec` (`spec` for a Pod and for a configured kind's image fields).
    var path: String
    /// A partial template patching one held elsewhere (``PodTemplateKind/patches``).
    var isPatch = false
    /// A configured kind's image fields outside its templates (``PodTemplateKind/images``).
    var imageFields: [(value: String, path: String)] = []
}

extension PolicyEngine {
    /// The pod specs of `object`: a built-in kind's one spec; a configured kind's templates, then its patches, then
    /// its image fields as one image-only spec at `spec` (which, like a patch, is judged only on what it sets).
    static func podTemplates(
        of object: KubernetesObject?, kind: String, configured: PodTemplateKind?
    ) throws(AdmissionDecodingError) -> [ReviewedTemplate] {
        guard let object else { return [] }
        guard let configured else {
            return object.podSpec(forKind: kind).map { [ReviewedTemplate(spec: $0.spec, path: $0.path)] } ?? []
        }
        var found = try object.podTemplates(at: configured.templates).map {
            ReviewedTemplate(spec: $0.spec, path: $0.path)
        }
        found += try object.podTemplates(at: configured.patches).map {
            ReviewedTemplate(spec: $0.spec, path: $0.path, isPatch: true)
        }
        let fields = try object.strings(at: configured.images)
        if !fields.isEmpty {
            found.append(ReviewedTemplate(spec: PodSpec(), path: "spec", isPatch: true, imageFields: fields))
        }
        return found
    }
}
