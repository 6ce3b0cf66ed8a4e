extension Volume {
    /// Reads `volumes`; the index of each is its place in the list.
    static func decodeList(from reader: inout JSONReader) throws(AdmissionDecodingError) -> [Volume] {
        var list: [Volume] = []
        try reader.readArray { reader, index throws(AdmissionDecodingError) in
            list.append(try decode(from: &reader, index: index))
        }
        return list
    }

    /// Members follow ``JSONReader/present(_:_:in:)``: `"image": {...}, "image": null` is a repeated member
    /// (an error), not a value another parser might read the other way.
    private static func decode(from reader: inout JSONReader, index: Int) throws(AdmissionDecodingError) -> Volume {
        var volume = Volume(name: "", index: index)
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            switch key {
            case "name":
                if try reader.present(0, "name", in: &seen) { volume.name = try reader.readString() }
            case "image":
                volume.source = "image"
                if try reader.present(1, "image", in: &seen) {
                    volume.imageReference = try decodeImageReference(from: &reader)
                }
            case "csi":
                volume.source = "csi"
                if try reader.present(2, "csi", in: &seen) { volume.csi = try CSISource.decode(from: &reader) }
            case "ephemeral":
                volume.source = "ephemeral"
                if try reader.present(3, "ephemeral", in: &seen) {
                    try reader.readMember("volumeClaimTemplate") { reader throws(AdmissionDecodingError) in
                        volume.ephemeral = try ClaimTemplate.decode(from: &reader, name: volume.name)
                    }
                }
            default:
                if let index = sourceKeys.firstIndex(where: { $0 ~= key }) { volume.source = sourceTypes[index] }
                try reader.skipValue()
            }
        }
        return volume
    }

    /// `image.reference`, "" when absent.
    private static func decodeImageReference(from reader: inout JSONReader) throws(AdmissionDecodingError) -> String {
        var reference = ""
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            guard case "reference" = key else { return try reader.skipValue() }
            if try reader.present(0, "reference", in: &seen) { reference = try reader.readString() }
        }
        return reference
    }
}

extension Volume.CSISource {
    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> Volume.CSISource {
        var source = Volume.CSISource(driver: "")
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            switch key {
            case "driver":
                if try reader.present(0, "driver", in: &seen) { source.driver = try reader.readString() }
            case "volumeAttributes":
                if try reader.present(1, "volumeAttributes", in: &seen) {
                    source.volumeAttributes = try reader.readStringMap()
                }
            default:
                try reader.skipValue()
            }
        }
        return source
    }
}

extension ClaimTemplate {
    /// A PersistentVolumeClaim template's `spec.storageClassName` (its `metadata` is skipped: `name` is given).
    static func decode(from reader: inout JSONReader, name: String) throws(AdmissionDecodingError) -> ClaimTemplate {
        var template = ClaimTemplate(name: name)
        try reader.readMember("spec") { reader throws(AdmissionDecodingError) in
            template.storageClassName = try decodeStorageClassName(from: &reader)
        }
        return template
    }

    /// `storageClassName` of a PersistentVolumeClaim spec: nil when absent or null, "" when empty.
    static func decodeStorageClassName(from reader: inout JSONReader) throws(AdmissionDecodingError) -> String? {
        var storageClassName: String?
        try reader.readMember("storageClassName") { reader throws(AdmissionDecodingError) in
            storageClassName = try reader.readString()
        }
        return storageClassName
    }

    /// StatefulSet `volumeClaimTemplates`: each template's `metadata.name` and `spec.storageClassName`.
    static func decodeList(from reader: inout JSONReader) throws(AdmissionDecodingError) -> [ClaimTemplate] {
        var list: [ClaimTemplate] = []
        try reader.readArray { reader, _ throws(AdmissionDecodingError) in
            var template = ClaimTemplate(name: "")
            var seen = SeenMembers()
            try reader.readObject { reader, key throws(AdmissionDecodingError) in
                switch key {
                case "metadata":
                    if try reader.present(0, "metadata", in: &seen) {
                        try reader.readMember("name") { reader throws(AdmissionDecodingError) in
                            template.name = try reader.readString()
                        }
                    }
                case "spec":
                    if try reader.present(1, "spec", in: &seen) {
                        template.storageClassName = try decodeStorageClassName(from: &reader)
                    }
                default:
                    try reader.skipValue()
                }
            }
            list.append(template)
        }
        return list
    }
}
