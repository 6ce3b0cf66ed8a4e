extension PodSpec {
    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> PodSpec {
        var spec = PodSpec()
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
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
            if try reader.present(0, "containers", in: &seen) {
                containers = try Container.decodeList(from: &reader)
            }
        case "initContainers":
            if try reader.present(1, "initContainers", in: &seen) {
                initContainers = try Container.decodeList(from: &reader)
            }
        case "ephemeralContainers":
            if try reader.present(2, "ephemeralContainers", in: &seen) {
                ephemeralContainers = try Container.decodeList(from: &reader)
            }
        case "nodeSelector":
            if try reader.present(3, "nodeSelector", in: &seen) {
                nodeSelector = try reader.readStringMap()
            }
        case "nodeName":
            if try reader.present(4, "nodeName", in: &seen) {
                nodeName = try reader.readString()
            }
        case "tolerations":
            if try reader.present(5, "tolerations", in: &seen) {
                try reader.readArray { reader, _ throws(AdmissionDecodingError) in
                    tolerations.append(try Toleration.decode(from: &reader))
                }
            }
        case "affinity":
            if try reader.present(6, "affinity", in: &seen) {
                requiredNodeAffinity = try Self.decodeRequiredNodeAffinity(from: &reader)
            }
        case "volumes":
            if try reader.present(7, "volumes", in: &seen) { volumes = try Volume.decodeList(from: &reader) }
        case "resourceClaims":
            if try reader.present(8, "resourceClaims", in: &seen) {
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
            }
        case "schedulerName":
            if try reader.present(9, "schedulerName", in: &seen) {
                schedulerName = try reader.readString()
            }
        case "serviceAccountName":
            if try reader.present(10, "serviceAccountName", in: &seen) { serviceAccountName = try reader.readString() }
        case "serviceAccount":
            // The deprecated alias: the API server copies it into serviceAccountName when that is empty.
            if try reader.present(11, "serviceAccount", in: &seen) {
                let alias = try reader.readString()
                if serviceAccountName.isEmpty { serviceAccountName = alias }
            }
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
            switch key {
            case "name":
                if try reader.present(0, "name", in: &seen) {
                    container.name = try reader.readString()
                }
            case "image":
                if try reader.present(1, "image", in: &seen) {
                    container.image = try reader.readString()
                }
            case "restartPolicy":
                if try reader.present(2, "restartPolicy", in: &seen) {
                    container.restartPolicy = try reader.readString()
                }
            case "resources":
                if try reader.present(3, "resources", in: &seen) {
                    var seenResources = SeenMembers()
                    try reader.readObject { reader, key throws(AdmissionDecodingError) in
                        switch key {
                        case "requests":
                            if try reader.present(0, "requests", in: &seenResources) {
                                container.requests = try decodeResourceList(from: &reader)
                            }
                        case "limits":
                            if try reader.present(1, "limits", in: &seenResources) {
                                container.limits = try decodeResourceList(from: &reader)
                            }
                        default:
                            try reader.skipValue()
                        }
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
            switch key {
            case "matchExpressions":
                if try reader.present(0, "matchExpressions", in: &seen) {
                    term.matchExpressions = try NodeSelectorRequirement.decodeList(from: &reader)
                }
            case "matchFields":
                if try reader.present(1, "matchFields", in: &seen) {
                    term.matchFields = try NodeSelectorRequirement.decodeList(from: &reader)
                }
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
                switch key {
                case "key":
                    if try reader.present(0, "key", in: &seen) {
                        requirement.key = try reader.readString()
                    }
                case "operator":
                    if try reader.present(1, "operator", in: &seen) {
                        requirement.operator = try reader.readString()
                    }
                case "values":
                    if try reader.present(2, "values", in: &seen) {
                        requirement.values = try reader.readStringArray()
                    }
                default:
                    try reader.skipValue()
                }
            }
            list.append(requirement)
        }
        return list
    }
}
