import Foundation
import Testing

/// Significant-update semantics through the real server and audit log: the Job controller's finalizer removal on a
/// tag-only ephi pod (created before ephi required digests) is allowed and audited as unchanged; an image change
/// on the same pod is judged.
@Suite("portcullis serve: updates", .timeLimit(.minutes(1)))
struct UpdateLiveTests {
    static func pod(image: String, finalizers: Bool) -> String {
        let finalizer = finalizers ? #","finalizers":["batch.kubernetes.io/job-tracking"]"# : ""
        return #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"rrs-0","namespace":"clinical-nlp""#
            + #"\#(finalizer)},"spec":{"nodeName":"gke-prod-ephi-cpu-1","#
            + #""nodeSelector":{"topology.kubernetes.io/zone":"europe-west4-a","#
            + #""cloud.google.com/gke-nodepool":"ephi-cpu"},"containers":[{"name":"c","image":"\#(image)"}]},"#
            + #""status":{"phase":"Running"}}"#
    }

    static func review(uid: String, new: String, old: String) -> String {
        ReviewEnvelope.review(
            uid: uid, kind: "Pod", namespace: "clinical-nlp", name: "rrs-0", operation: "UPDATE",
            username: "system:serviceaccount:kube-system:job-controller", object: new, oldObject: old)
    }

    @Test("a finalizer removal is allowed and audited as unchanged; an image change is judged")
    func finalizerRemoval() throws {
        let fixture = try AuditLiveTests.AuditFixture()
        let server = try LiveServer(fixture.certs, extraArguments: fixture.serverArguments)
        let tagOnly = "registry.internal/ephi/rrs:1.4"
        let old = Self.pod(image: tagOnly, finalizers: true)
        let (_, allowed) = try AdmissionLiveTests.post(
            server, fixture.certs, path: "/validate/ephi",
            body: Self.review(uid: "u-finalizer", new: Self.pod(image: tagOnly, finalizers: false), old: old))
        #expect((allowed["response"] as? [String: Any])?["allowed"] as? Bool == true, "\(allowed)")
        let message = try ReviewEnvelope.denial(
            server, fixture.certs, path: "/validate/ephi",
            review: Self.review(
                uid: "u-image", new: Self.pod(image: "registry.internal/ephi/rrs:1.5", finalizers: true), old: old))
        #expect(message.contains("[image-digest]") && message.contains("rrs:1.5"), "\(message)")
        server.terminate()
        let query = try ChildProcess.run(
            try portcullisBinary(), ["audit", "query", "-o", "json", fixture.logDirectory], timeout: .seconds(60))
        var reasons: [String: String] = [:]
        for line in query.stdout.split(separator: "\n") {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let uid = object["uid"] as? String
            {
                reasons[uid] = object["reason"] as? String ?? ""
            }
        }
        #expect(reasons["u-finalizer"]?.hasPrefix("unchanged placement and images") == true, "\(query.stdout)")
        #expect(reasons["u-image"]?.contains("image spec.containers[0].image") == true, "\(query.stdout)")
    }
}
