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
                try seen.once(0, "name", at: reader)
                if try reader.consumeNull() { return }
                request.name = try reader.readString()
            case "exactly":
                try seen.once(1, "exactly", at: reader)
                if try reader.consumeNull() { return }
                alternatives.insert(try Choice.decode(field: "exactly", from: &reader), at: 0)
            case "firstAvailable":
                try seen.once(2, "firstAvailable", at: reader)
                if try reader.consumeNull() { return }
                try reader.readArray { reader, index throws(AdmissionDecodingError) in
                    alternatives.append(
                        try Choice.decode(field: "firstAvailable[\(index)]", from: &reader))
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
            try seen.once(firstBit, "deviceClassName", at: reader)
            if try reader.consumeNull() { return }
            deviceClassName = try reader.readString()
        case "allocationMode":
            try seen.once(firstBit + 1, "allocationMode", at: reader)
            if try reader.consumeNull() { return }
            allocationMode = try reader.readString()
        case "count":
            try seen.once(firstBit + 2, "count", at: reader)
            if try reader.consumeNull() { return }
            guard try reader.peekKind() == .number, let value = Int(try reader.readStringOrNumberText()) else {
                throw reader.error("count must be a whole number")
            }
            count = value
        default:
            try reader.skipValue()
        }
    }
}
