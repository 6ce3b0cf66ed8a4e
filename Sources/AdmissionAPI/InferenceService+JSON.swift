/// KServe's `InferenceService.spec.predictor`: a pod spec written inline (containers, volumes, placement) plus
/// the model to serve. Only the predictor loads a model; transformers and explainers run as pods of their own,
/// judged when KServe creates them.
enum InferenceServicePredictor {
    /// The framework fields of `predictor` that each take a `storageUri`, besides `model`.
    static let frameworks: [StaticString] = [
        "sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "pmml", "lightgbm", "paddle", "huggingface",
    ]

    /// Reads `predictor` into its pod spec and model sources.
    static func decode(
        from reader: inout JSONReader, spec: inout PodSpec, models: inout [ModelSource]
    ) throws(AdmissionDecodingError) {
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            if case "model" = key {
                if try reader.present(SeenMembers.extra, "model", in: &seen) {
                    models += try decodeModel(from: &reader, path: "spec.predictor.model")
                }
            } else if let index = frameworks.firstIndex(where: { $0 ~= key }) {
                if try reader.present(SeenMembers.extra + 1 + index, frameworks[index], in: &seen) {
                    models += try decodeModel(from: &reader, path: "spec.predictor.\(frameworks[index])")
                }
            } else {
                try spec.decodeMember(key, from: &reader, seen: &seen)
            }
        }
    }

    /// `storageUri`, or `storage` (a key into the storage configuration) when no URI is given.
    private static func decodeModel(
        from reader: inout JSONReader, path: String
    ) throws(AdmissionDecodingError) -> [ModelSource] {
        var uri: String?
        var hasStorage = false
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            switch key {
            case "storageUri":
                if try reader.present(0, "storageUri", in: &seen) { uri = try reader.readString() }
            case "storage":
                if try reader.present(1, "storage", in: &seen) {
                    hasStorage = true
                    try reader.skipValue()
                }
            default:
                try reader.skipValue()
            }
        }
        if let uri { return [ModelSource(uri: uri, path: path + ".storageUri")] }
        return hasStorage ? [ModelSource(uri: nil, path: path + ".storage")] : []
    }
}
