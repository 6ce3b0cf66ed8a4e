extension AdmissionReview {
    static func decode(from reader: inout JSONReader) throws(AdmissionDecodingError) -> AdmissionReview {
        var review = AdmissionReview(apiVersion: "", kind: "")
        var seen = SeenMembers()
        try reader.readObject { reader, key throws(AdmissionDecodingError) in
            switch key {
            case "apiVersion":
                if try reader.present(0, "apiVersion", in: &seen) {
                    review.apiVersion = try reader.readString()
                }
            case "kind":
                if try reader.present(1, "kind", in: &seen) {
                    review.kind = try reader.readString()
                }
            case "request":
                if try reader.present(2, "request", in: &seen) {
                    review.request = try AdmissionRequest.decode(from: &reader)
                }
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
            switch key {
            case "uid":
                if try reader.present(0, "uid", in: &seen) {
                    request.uid = try reader.readString()
                }
            case "kind":
                if try reader.present(1, "kind", in: &seen) {
                    request.kind = try GroupVersionKind.decode(from: &reader)
                }
            case "resource":
                if try reader.present(2, "resource", in: &seen) {
                    request.resource = try GroupVersionResource.decode(from: &reader)
                }
            case "subResource":
                if try reader.present(3, "subResource", in: &seen) {
                    request.subResource = try reader.readString()
                }
            case "requestKind":
                if try reader.present(4, "requestKind", in: &seen) {
                    request.requestKind = try GroupVersionKind.decode(from: &reader)
                }
            case "namespace":
                if try reader.present(5, "namespace", in: &seen) {
                    request.namespace = try reader.readString()
                }
            case "name":
                if try reader.present(6, "name", in: &seen) {
                    request.name = try reader.readString()
                }
            case "operation":
                if try reader.present(7, "operation", in: &seen) {
                    request.operation = try reader.readString()
                }
            case "userInfo":
                if try reader.present(8, "userInfo", in: &seen) {
                    request.userInfo = try UserInfo.decode(from: &reader)
                }
            case "object":
                if try reader.present(9, "object", in: &seen) {
                    request.object = try KubernetesObject.decode(from: &reader)
                }
            case "oldObject":
                if try reader.present(10, "oldObject", in: &seen) {
                    request.oldObject = try KubernetesObject.decode(from: &reader)
                }
            case "dryRun":
                if try reader.present(11, "dryRun", in: &seen) {
                    request.dryRun = try reader.readBool()
                }
            case "options":
                if try reader.present(12, "options", in: &seen) {
                    guard try reader.peekKind() == .object else { throw reader.error("expected an object") }
                    try reader.skipValue()
                    request.options = true
                }
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
            switch key {
            case "username":
                if try reader.present(0, "username", in: &seen) {
                    info.username = try reader.readString()
                }
            case "uid":
                if try reader.present(1, "uid", in: &seen) {
                    info.uid = try reader.readString()
                }
            case "groups":
                if try reader.present(2, "groups", in: &seen) {
                    info.groups = try reader.readStringArray()
                }
            default:
                try reader.skipValue()
            }
        }
        return info
    }
}
