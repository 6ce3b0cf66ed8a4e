/// Where a kind keeps a pod template (a `PodTemplateSpec`): a dotted JSON path from the object's root, such as
/// `spec.workerGroupSpecs[*].template` (KubeRay) or `spec.pytorchReplicaSpecs.*.template` (Kubeflow). `[*]` is
/// every element of an array, `*` every member of a map. The template's `spec` is what the checks read.
public struct PodTemplatePath: Sendable, Hashable, CustomStringConvertible {
    public enum Segment: Sendable, Hashable {
        case member(String)
        case everyMember
        case everyElement
    }

    /// The segments after the leading `spec`.
    public let segments: [Segment]
    public let description: String

    /// Parses a path; it must start with `spec` and name at least one member below it.
    public init(_ text: String) throws(AdmissionDecodingError) {
        var segments: [Segment] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            var name = Substring(part)
            var everyElement = false
            if name.hasSuffix("[*]") {
                name = name.dropLast(3)
                everyElement = true
            }
            guard !name.isEmpty, !name.contains("["), !name.contains("]") else {
                throw AdmissionDecodingError(
                    "template path \"\(text)\": each segment is a member name, * (every member) or name[*] (every"
                        + " element)")
            }
            segments.append(name == "*" ? .everyMember : .member(String(name)))
            if everyElement { segments.append(.everyElement) }
        }
        guard segments.first == .member("spec"), segments.count > 1 else {
            throw AdmissionDecodingError("template path \"\(text)\" must start with spec. and name a template below it")
        }
        self.segments = Array(segments.dropFirst())
        description = text
    }
}
