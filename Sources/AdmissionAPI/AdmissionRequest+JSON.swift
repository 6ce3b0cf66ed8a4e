extension AdmissionReview {
    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> AdmissionReview {
        var review = AdmissionReview(apiVersion: "", kind: "")
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            if try reader.consumeNull() { return }
            switch key {
            case "apiVersion":
                try seen.once(0, "apiVersion", at: reader)
                review.apiVersion = try reader.readString()
            case "kind":
                try seen.once(1, "kind", at: reader)
                review.kind = try reader.readString()
            case "request":
                try seen.once(2, "request", at: reader)
                review.request = try AdmissionRequest.decode(from: &reader)
            default:
                try reader.skipValue()
            }
        }
        return review
    }
}

extension AdmissionRequest {
    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> AdmissionRequest {
        var request = AdmissionRequest(uid: "", kind: GroupVersionKind(version: "", kind: ""), operation: "")
        request.resource = GroupVersionResource(version: "")
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            if try reader.consumeNull() { return }
            switch key {
            case "uid":
                try seen.once(0, "uid", at: reader)
                request.uid = try reader.readString()
            case "kind":
                try seen.once(1, "kind", at: reader)
                request.kind = try GroupVersionKind.decode(from: &reader)
            case "resource":
                try seen.once(2, "resource", at: reader)
                request.resource = try GroupVersionResource.decode(from: &reader)
            case "subResource":
                try seen.once(3, "subResource", at: reader)
                request.subResource = try reader.readString()
            case "requestKind":
                try seen.once(4, "requestKind", at: reader)
                request.requestKind = try GroupVersionKind.decode(from: &reader)
            case "namespace":
                try seen.once(5, "namespace", at: reader)
                request.namespace = try reader.readString()
            case "name":
                try seen.once(6, "name", at: reader)
                request.name = try reader.readString()
            case "operation":
                try seen.once(7, "operation", at: reader)
                request.operation = try reader.readString()
            case "userInfo":
                try seen.once(8, "userInfo", at: reader)
                request.userInfo = try UserInfo.decode(from: &reader)
            case "object":
                try seen.once(9, "object", at: reader)
                request.object = try KubernetesObject.decode(from: &reader)
            case "oldObject":
                try seen.once(10, "oldObject", at: reader)
                request.oldObject = try KubernetesObject.decode(from: &reader)
            case "dryRun":
                try seen.once(11, "dryRun", at: reader)
                request.dryRun = try reader.readBool()
            case "options":
                try seen.once(12, "options", at: reader)
                guard try reader.peekKind() == .object else { throw reader.error("expected an object") }
                try reader.skipValue()
                request.options = true
            default:
                try reader.skipValue()
            }
        }
        return request
    }
}

extension GroupVersionKind {
    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> GroupVersionKind {
        var gvk = GroupVersionKind(version: "", kind: "")
        try reader.readStringMembers(into: &gvk, [("group", \.group), ("version", \.version), ("kind", \.kind)])
        return gvk
    }
}

extension GroupVersionResource {
    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> GroupVersionResource {
        var gvr = GroupVersionResource(version: "")
        try reader.readStringMembers(
            into: &gvr, [("group", \.group), ("version", \.version), ("resource", \.resource)])
        return gvr
    }
}

extension UserInfo {
    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> UserInfo {
        var info = UserInfo()
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            if try reader.consumeNull() { return }
            switch key {
            case "username":
                try seen.once(0, "username", at: reader)
                info.username = try reader.readString()
            case "uid":
                try seen.once(1, "uid", at: reader)
                info.uid = try reader.readString()
            case "groups":
                try seen.once(2, "groups", at: reader)
                info.groups = try reader.readStringArray()
            default:
                try reader.skipValue()
            }
        }
        return info
    }
}
