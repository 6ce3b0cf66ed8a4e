import Foundation
import Testing

/// The AdmissionReview the API server sends, around an object the test writes as JSON text, and the denial it gets.
enum ReviewEnvelope {
    /// `group/version/Kind` as the request names it (`kind`, and `resource` as the lower-cased plural).
    static func review(
        uid: String, group: String = "", version: String = "v1", kind: String, namespace: String, name: String,
        operation: String = "CREATE", username: String = "alice", groups: [String] = [], object: String,
        oldObject: String? = nil
    ) -> String {
        let resource = kind.lowercased() + "s"
        let groupList = groups.map { #""\#($0)""# }.joined(separator: ",")
        let old = oldObject.map { #","oldObject":\#($0)"# } ?? ""
        return #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"\#(uid)","#
            + #""kind":{"group":"\#(group)","version":"\#(version)","kind":"\#(kind)"},"#
            + #""resource":{"group":"\#(group)","version":"\#(version)","resource":"\#(resource)"},"#
            + #""namespace":"\#(namespace)","name":"\#(name)","operation":"\#(operation)","#
            + #""userInfo":{"username":"\#(username)","groups":[\#(groupList)]},"object":\#(object)\#(old)}}"#
    }

    /// A Pod named `name` in `namespace` with `spec` (JSON text), as the `object` of a review.
    static func pod(_ name: String, namespace: String, spec: String) -> String {
        #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\#(name)","namespace":"\#(namespace)"},"spec":\#(spec)}"#
    }

    /// Posts `review` to `path` and returns the denial's message; fails the test unless the answer is a denial.
    static func denial(_ server: LiveServer, _ certs: DevCertificates, path: String, review: String) throws -> String {
        let (status, json) = try AdmissionLiveTests.post(server, certs, path: path, body: review)
        #expect(status == 200)
        let response = try #require(json["response"] as? [String: Any])
        #expect(response["allowed"] as? Bool == false, "\(json)")
        return try #require((response["status"] as? [String: Any])?["message"] as? String)
    }
}
