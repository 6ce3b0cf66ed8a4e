extension KubernetesObject {
    /// Decodes a Kubernetes object from JSON bytes (a manifest, or `request.object` of a review).
    public static func decode(json: [UInt8]) throws(AdmissionDecodingError) -> KubernetesObject {
        try JSONReader.read(json) { reader throws(AdmissionDecodingError) in try decode(from: &reader) }
    }

    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> KubernetesObject {
        var object = KubernetesObject(apiVersion: "", kind: "")
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            switch key {
            case "apiVersion":
                if try reader.present(0, "apiVersion", in: &seen) {
                    object.apiVersion = try reader.readString()
                }
            case "kind":
                if try reader.present(1, "kind", in: &seen) {
                    object.kind = try reader.readString()
                }
            case "metadata":
                if try reader.present(2, "metadata", in: &seen) {
                    object.metadata = try ObjectMeta.decode(from: &reader)
                }
            case "spec":
                if try reader.present(3, "spec", in: &seen) {
                    let start = reader.position
                    try decodeSpec(into: &object, from: &reader)
                    // Kept for custom resources only; built-in kinds are decoded in full above. When apiVersion
                    // comes after spec the group is not known yet, so the bytes are kept.
                    if object.apiVersion.isEmpty || !Self.builtInGroups.contains(Self.group(of: object.apiVersion)) {
                        object.rawSpec = reader.bytes(start..<reader.position)
                    }
                }
            case "target":
                if try reader.present(4, "target", in: &seen) {
                    var node = ""
                    try reader.readStringMembers(into: &node, [("name", \.self)])
                    object.bindingTarget = node
                }
            default:
                try reader.skipValue()
            }
        }
        return object
    }

    /// API groups whose kinds this decoder reads in full, so their `spec` bytes need not be kept.
    public static let builtInGroups: Set<Substring> = ["", "apps", "batch", "resource.k8s.io", "serving.kserve.io"]

    /// The group of an `apiVersion` (`apps/v1` → `apps`, `v1` → the core group "").
    static func group(of apiVersion: String) -> Substring {
        guard let slash = apiVersion.firstIndex(of: "/") else { return "" }
        return apiVersion[..<slash]
    }

    /// Reads `spec` once, keeping every reading a kind might need: the spec as a pod spec, the pod
    /// templates of workloads, and the device requests of DRA claims and claim templates. Which one counts is
    /// decided by the kind (``podSpec(forKind:)``, ``deviceRequests(forKind:)``), so the decoder need not have
    /// seen `kind` before `spec`.
    private static func decodeSpec(
        into object: inout KubernetesObject, from reader: inout JSONReader
    ) throws(AdmissionDecodingError) {
        var pod = PodSpec()
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            switch key {
            case "template":
                if try reader.present(SeenMembers.extra, "template", in: &seen) {
                    object.templateSpec = try decodeTemplate(from: &reader)
                }
            case "jobTemplate":
                if try reader.present(SeenMembers.extra + 1, "jobTemplate", in: &seen) {
                    try reader.readMember("spec") { reader throws(AdmissionDecodingError) in
                        try reader.readMember("template") { reader throws(AdmissionDecodingError) in
                            object.jobTemplateSpec = try decodeTemplate(from: &reader)
                        }
                    }
                }
            case "devices":
                if try reader.present(SeenMembers.extra + 2, "devices", in: &seen) {
                    object.claimRequests = try DeviceRequest.decodeDevices(from: &reader)
                }
            case "spec":
                if try reader.present(SeenMembers.extra + 3, "spec", in: &seen) {
                    try reader.readMember("devices") { reader throws(AdmissionDecodingError) in
                        object.claimTemplateRequests = try DeviceRequest.decodeDevices(from: &reader)
                    }
                }
            case "predictor":
                if try reader.present(SeenMembers.extra + 4, "predictor", in: &seen) {
                    var predictor = PodSpec()
                    try InferenceServicePredictor.decode(from: &reader, spec: &predictor, models: &object.modelSources)
                    object.predictorSpec = predictor
                }
            case "storageClassName":
                if try reader.present(SeenMembers.extra + 5, "storageClassName", in: &seen) {
                    object.storageClassName = try reader.readString()
                }
            case "volumeClaimTemplates":
                if try reader.present(SeenMembers.extra + 6, "volumeClaimTemplates", in: &seen) {
                    object.volumeClaimTemplates = try ClaimTemplate.decodeList(from: &reader)
                }
            default:
                try pod.decodeMember(key, from: &reader, seen: &seen)
            }
        }
        object.spec = pod
    }

    /// A PodTemplateSpec: only its `spec` matters to the checks.
    private static func decodeTemplate(from reader: inout JSONReader) throws(AdmissionDecodingError) -> PodSpec {
        var spec = PodSpec()
        try reader.readMember("spec") { reader throws(AdmissionDecodingError) in
            spec = try PodSpec.decode(from: &reader)
        }
        return spec
    }
}

extension ObjectMeta {
    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> ObjectMeta {
        var meta = ObjectMeta()
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            switch key {
            case "name": if try reader.present(0, "name", in: &seen) { meta.name = try reader.readString() }
            case "generateName":
                if try reader.present(1, "generateName", in: &seen) { meta.generateName = try reader.readString() }
            case "namespace":
                if try reader.present(2, "namespace", in: &seen) { meta.namespace = try reader.readString() }
            case "labels":
                if try reader.present(3, "labels", in: &seen) {
                    reader.skipWhitespace()
                    let start = reader.position
                    try reader.skipValue()
                    meta.labelsJSON = reader.bytes(start..<reader.position)
                }
            default: try reader.skipValue()
            }
        }
        return meta
    }
}

extension KubernetesObject {
    /// The JSON of each entry of `items` of a list document (`kind: List`, as `kubectl get -o json` prints),
    /// so each can be decoded and evaluated on its own.
    public static func listItems(json: [UInt8]) throws(AdmissionDecodingError) -> [[UInt8]] {
        var ranges: [Range<Int>] = []
        try JSONReader.read(json) { reader throws(AdmissionDecodingError) in
            try reader.readObject { reader, key throws(AdmissionDecodingError) in
                guard case "items" = key else { return try reader.skipValue() }
                try reader.readArray { reader, _ throws(AdmissionDecodingError) in
                    reader.skipWhitespace()
                    let start = reader.position
                    try reader.skipValue()
                    ranges.append(start..<reader.position)
                }
            }
        }
        return ranges.map { Array(json[$0]) }
    }
}
