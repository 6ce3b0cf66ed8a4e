extension Volume {
    /// Reads `volumes`, keeping only image and inline CSI volumes; the index of each is its place in the list.
    static func decodeList(from reader: inout JSONReader) throws(AdmissionDecodingError) -> [Volume] {
        var list: [Volume] = []
        try reader.readArray { reader, index throws(AdmissionDecodingError) in
            let volume = try decode(from: &reader, index: index)
            if volume.imageReference != nil || volume.csi != nil { list.append(volume) }
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
                if try reader.present(1, "image", in: &seen) {
                    volume.imageReference = try decodeImageReference(from: &reader)
                }
            case "csi":
                if try reader.present(2, "csi", in: &seen) { volume.csi = try CSISource.decode(from: &reader) }
            default:
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
