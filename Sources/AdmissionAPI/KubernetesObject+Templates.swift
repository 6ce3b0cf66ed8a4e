extension KubernetesObject {
    /// The pod specs of the templates at `paths`, each with the JSON path of its `spec` (indices and map keys
    /// filled in: `spec.workerGroupSpecs[1].template.spec`), in path order then document order. A template that is
    /// absent or null, or has no `spec`, is skipped; a repeated member on the way is an error, as everywhere.
    public func podTemplates(at paths: [PodTemplatePath]) throws(AdmissionDecodingError) -> [(
        spec: PodSpec, path: String
    )] {
        var found: [(spec: PodSpec, path: String)] = []
        try visit(paths) { reader, path throws(AdmissionDecodingError) in
            var spec: PodSpec?
            try reader.readMember("spec") { reader throws(AdmissionDecodingError) in
                spec = try PodSpec.decode(from: &reader)
            }
            if let spec { found.append((spec, path + ".spec")) }
        }
        return found
    }

    /// The strings at `paths` (a kind's image fields outside its pod templates, such as a Kubeflow TrainJob's
    /// `spec.trainer.image`), each with its JSON path, in path order then document order; absent or null is skipped.
    public func strings(at paths: [PodTemplatePath]) throws(AdmissionDecodingError) -> [(value: String, path: String)] {
        var found: [(value: String, path: String)] = []
        try visit(paths) { reader, path throws(AdmissionDecodingError) in found.append((try reader.readString(), path))
        }
        return found
    }

    /// Calls `leaf` with the reader at every value `paths` reach in `rawSpec` (nulls on the way skipped).
    private func visit(
        _ paths: [PodTemplatePath],
        _ leaf: (inout JSONReader, String) throws(AdmissionDecodingError) -> Void
    ) throws(AdmissionDecodingError) {
        guard let rawSpec, !paths.isEmpty else { return }
        for path in paths {
            try JSONReader.read(rawSpec) { reader throws(AdmissionDecodingError) in
                try Self.walk(&reader, path.segments[...], at: "spec", leaf)
            }
        }
    }

    private static func walk(
        _ reader: inout JSONReader, _ segments: ArraySlice<PodTemplatePath.Segment>, at path: String,
        _ leaf: (inout JSONReader, String) throws(AdmissionDecodingError) -> Void
    ) throws(AdmissionDecodingError) {
        if try reader.consumeNull() { return }
        guard let segment = segments.first else { return try leaf(&reader, path) }
        let rest = segments.dropFirst()
        switch segment {
        case .member(let name):
            var seen = false
            try reader.readObject { reader, key throws(AdmissionDecodingError) in
                guard key.string == name else { return try reader.skipValue() }
                guard !seen else { throw reader.error("duplicate key \"\(name)\"") }
                seen = true
                try walk(&reader, rest, at: path + "." + name, leaf)
            }
        case .everyMember:
            var keys = Set<String>()
            try reader.readObject { reader, key throws(AdmissionDecodingError) in
                let name = key.string
                guard keys.insert(name).inserted else { throw reader.error("duplicate key \"\(name)\"") }
                try walk(&reader, rest, at: path + "." + name, leaf)
            }
        case .everyElement:
            try reader.readArray { reader, index throws(AdmissionDecodingError) in
                try walk(&reader, rest, at: "\(path)[\(index)]", leaf)
            }
        }
    }
}
