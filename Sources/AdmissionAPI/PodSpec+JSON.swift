extension PodSpec {
    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> PodSpec {
        var spec = PodSpec()
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            if try reader.consumeNull() { return }
            try spec.decodeMember(key, from: &reader, seen: &seen)
        }
        return spec
    }

    /// Reads one member of a pod spec, or skips it when no check reads it. Uses bits below
    /// ``SeenMembers/extra`` of `seen`, so a workload `spec` can track its own members in the same set.
    mutating func decodeMember(
        _ key: JSONKey, from reader: inout JSONReader, seen: inout SeenMembers
    ) throws(AdmissionDecodingError) {
        switch key {
        case "containers":
            try seen.once(0, "containers", at: reader)
            containers = try Container.decodeList(from: &reader)
        case "initContainers":
            try seen.once(1, "initContainers", at: reader)
            initContainers = try Container.decodeList(from: &reader)
        case "ephemeralContainers":
            try seen.once(2, "ephemeralContainers", at: reader)
            ephemeralContainers = try Container.decodeList(from: &reader)
        case "nodeSelector":
            try seen.once(3, "nodeSelector", at: reader)
            nodeSelector = try reader.readStringMap()
        case "nodeName":
            try seen.once(4, "nodeName", at: reader)
            nodeName = try reader.readString()
        case "tolerations":
            try seen.once(5, "tolerations", at: reader)
            try reader.readArray { reader, _ throws(AdmissionDecodingError) in
                tolerations.append(try Toleration.decode(from: &reader))
            }
        case "affinity":
            try seen.once(6, "affinity", at: reader)
            requiredNodeAffinity = try Self.decodeRequiredNodeAffinity(from: &reader)
        case "volumes":
            if try reader.present(7, "volumes", in: &seen) { volumes = try Volume.decodeList(from: &reader) }
        case "resourceClaims":
            try seen.once(8, "resourceClaims", at: reader)
            if try reader.consumeNull() { return }
            try reader.readArray { reader, _ throws(AdmissionDecodingError) in
                var claim = PodResourceClaim(name: "")
                try reader.readStringMembers(
                    into: &claim,
                    [
                        ("name", \.name), ("resourceClaimName", \.resourceClaimName),
                        ("resourceClaimTemplateName", \.resourceClaimTemplateName),
                    ])
                resourceClaims.append(claim)
            }
        case "schedulerName":
            try seen.once(9, "schedulerName", at: reader)
            if try reader.consumeNull() { return }
            schedulerName = try reader.readString()
        default:
            try reader.skipValue()
        }
    }

    /// `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`.
    private static func decodeRequiredNodeAffinity(
        from reader: inout JSONReader
    ) throws(AdmissionDecodingError) -> [NodeSelectorTerm]? {
        var terms: [NodeSelectorTerm]?
        try reader.readMember("nodeAffinity") { reader throws(AdmissionDecodingError) in
            try reader.readMember("requiredDuringSchedulingIgnoredDuringExecution") {
                reader throws(AdmissionDecodingError) in
                var found: [NodeSelectorTerm] = []
                try reader.readMember("nodeSelectorTerms") { reader throws(AdmissionDecodingError) in
                    try reader.readArray { reader, _ throws(AdmissionDecodingError) in
                        found.append(try NodeSelectorTerm.decode(from: &reader))
                    }
                }
                terms = found
            }
        }
        return terms
    }
}

extension SeenMembers {
    /// The first bit free for members outside the pod spec.
    static let extra = 16
}

extension Container {
    static func decodeList(from reader: inout JSONReader) throws(AdmissionDecodingError) -> [Container] {
        var list: [Container] = []
        try reader.readArray { reader, _ throws(AdmissionDecodingError) in
            list.append(try Container.decode(from: &reader))
        }
        return list
    }

    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> Container {
        var container = Container(name: "", image: "")
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            if try reader.consumeNull() { return }
            switch key {
            case "name":
                try seen.once(0, "name", at: reader)
                container.name = try reader.readString()
            case "image":
                try seen.once(1, "image", at: reader)
                container.image = try reader.readString()
            case "restartPolicy":
                try seen.once(2, "restartPolicy", at: reader)
                container.restartPolicy = try reader.readString()
            case "resources":
                try seen.once(3, "resources", at: reader)
                var seenResources = SeenMembers()
                try reader.readObject { reader, key throws(AdmissionDecodingError) in
                    if try reader.consumeNull() { return }
                    switch key {
                    case "requests":
                        try seenResources.once(0, "requests", at: reader)
                        container.requests = try decodeResourceList(from: &reader)
                    case "limits":
                        try seenResources.once(1, "limits", at: reader)
                        container.limits = try decodeResourceList(from: &reader)
                    default:
                        try reader.skipValue()
                    }
                }
            default:
                try reader.skipValue()
            }
        }
        return container
    }

    private static func decodeResourceList(
        from reader: inout JSONReader
    ) throws(AdmissionDecodingError) -> [(name: String, quantity: String)] {
        var list: [(name: String, quantity: String)] = []
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            let name = key.string
            guard !list.contains(where: { $0.name == name }) else { throw reader.error("duplicate key \"\(name)\"") }
            list.append((name, try reader.readStringOrNumberText()))
        }
        return list
    }
}

extension Toleration {
    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> Toleration {
        var toleration = Toleration()
        try reader.readStringMembers(
            into: &toleration, [("key", \.key), ("operator", \.operator), ("value", \.value), ("effect", \.effect)])
        return toleration
    }
}

extension NodeSelectorTerm {
    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> NodeSelectorTerm {
        var term = NodeSelectorTerm()
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            if try reader.consumeNull() { return }
            switch key {
            case "matchExpressions":
                try seen.once(0, "matchExpressions", at: reader)
                term.matchExpressions = try NodeSelectorRequirement.decodeList(from: &reader)
            case "matchFields":
                try seen.once(1, "matchFields", at: reader)
                term.matchFields = try NodeSelectorRequirement.decodeList(from: &reader)
            default:
                try reader.skipValue()
            }
        }
        return term
    }
}

extension NodeSelectorRequirement {
    static func decodeList(from reader: inout JSONReader) throws(AdmissionDecodingError) -> [NodeSelectorRequirement] {
        var list: [NodeSelectorRequirement] = []
        try reader.readArray { reader, _ throws(AdmissionDecodingError) in
            var requirement = NodeSelectorRequirement(key: "", operator: "")
            var seen = SeenMembers()
            try reader.readObject { reader, key throws(AdmissionDecodingError) in
                if try reader.consumeNull() { return }
                switch key {
                case "key":
                    try seen.once(0, "key", at: reader)
                    requirement.key = try reader.readString()
                case "operator":
                    try seen.once(1, "operator", at: reader)
                    requirement.operator = try reader.readString()
                case "values":
                    try seen.once(2, "values", at: reader)
                    requirement.values = try reader.readStringArray()
                default:
                    try reader.skipValue()
                }
            }
            list.append(requirement)
        }
        return list
    }
}
