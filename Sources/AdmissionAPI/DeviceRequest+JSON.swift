extension DeviceRequest {
    /// `devices` of a claim spec: only `requests` is read (`constraints` and `config` allocate nothing).
    static func decodeDevices(from reader: inout JSONReader) throws(AdmissionDecodingError) -> [DeviceRequest] {
        var requests: [DeviceRequest] = []
        try reader.readMember("requests") { reader throws(AdmissionDecodingError) in
            try reader.readArray { reader, _ throws(AdmissionDecodingError) in
                requests.append(try decode(from: &reader))
            }
        }
        return requests
    }

    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> DeviceRequest {
        var request = DeviceRequest(name: "", choices: [])
        // The v1beta1 fields on the request itself, read into a choice of their own.
        var direct = Choice(field: "", deviceClassName: "")
        var seen = SeenMembers()
        var alternatives: [Choice] = []
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            switch key {
            case "name":
                if try reader.present(0, "name", in: &seen) {
                    request.name = try reader.readString()
                }
            case "exactly":
                if try reader.present(1, "exactly", in: &seen) {
                    alternatives.insert(try Choice.decode(field: "exactly", from: &reader), at: 0)
                }
            case "firstAvailable":
                if try reader.present(2, "firstAvailable", in: &seen) {
                    try reader.readArray { reader, index throws(AdmissionDecodingError) in
                        alternatives.append(
                            try Choice.decode(field: "firstAvailable[\(index)]", from: &reader))
                    }
                }
            default:
                try direct.decodeMember(key, from: &reader, seen: &seen, firstBit: 3)
            }
        }
        if !direct.deviceClassName.isEmpty || !direct.allocationMode.isEmpty || direct.count != nil {
            request.choices.append(direct)
        }
        request.choices += alternatives
        return request
    }
}

extension DeviceRequest.Choice {
    static func decode(field: String, from reader: inout JSONReader) throws(AdmissionDecodingError) -> Self {
        var choice = DeviceRequest.Choice(field: field, deviceClassName: "")
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            try choice.decodeMember(key, from: &reader, seen: &seen, firstBit: 0)
        }
        return choice
    }

    /// Reads `deviceClassName`, `allocationMode` or `count` into the choice (bits `firstBit`… of `seen`), or
    /// skips any other member (`selectors`, `adminAccess`, `tolerations`, a subrequest's `name`).
    mutating func decodeMember(
        _ key: JSONKey, from reader: inout JSONReader, seen: inout SeenMembers, firstBit: Int
    ) throws(AdmissionDecodingError) {
        switch key {
        case "deviceClassName":
            if try reader.present(firstBit, "deviceClassName", in: &seen) {
                deviceClassName = try reader.readString()
            }
        case "allocationMode":
            if try reader.present(firstBit + 1, "allocationMode", in: &seen) {
                allocationMode = try reader.readString()
            }
        case "count":
            if try reader.present(firstBit + 2, "count", in: &seen) {
                guard try reader.peekKind() == .number, let value = Int(try reader.readStringOrNumberText()) else {
                    throw reader.error("count must be a whole number")
                }
                count = value
            }
        default:
            try reader.skipValue()
        }
    }
}
