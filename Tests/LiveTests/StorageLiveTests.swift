import Foundation
import Testing

/// Data at rest through the real binary and the shipped policy: a PVC, a StatefulSet's claim templates and a pod's
/// ephemeral volume in `personal-data`, allowed and denied, with the storage classes in the audit line; and the
/// cluster-storage evidence check of `policy lint`.
@Suite("portcullis serve: data at rest", .serialized, .timeLimit(.minutes(1)))
struct StorageLiveTests {
    /// The review the API server would send for `object` (a manifest as JSON) in namespace crm-personalisation.
    static func review(_ object: [String: Any], uid: String) throws -> String {
        let kind = object["kind"] as? String ?? ""
        let group =
            (object["apiVersion"] as? String ?? "").split(separator: "/").dropLast().first.map(String.init) ?? ""
        let review: [String: Any] = [
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": [
                "uid": uid, "kind": ["group": group, "version": "v1", "kind": kind],
                "resource": ["group": group, "version": "v1", "resource": kind.lowercased() + "s"],
                "namespace": "crm-personalisation", "name": "x", "operation": "CREATE",
                "userInfo": ["username": "alice"], "object": object,
            ] as [String: Any],
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: review), as: UTF8.self)
    }

    static func claim(_ storageClass: String?) -> [String: Any] {
        var spec: [String: Any] = ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]
        if let storageClass { spec["storageClassName"] = storageClass }
        return ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": "data"], "spec": spec]
    }

    static let image = "registry.internal/pd/app@sha256:" + String(repeating: "c", count: 64)

    static func pod(volumes: [[String: Any]]) -> [String: Any] {
        [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"],
            "spec": [
                "nodeSelector": ["topology.kubernetes.io/region": "europe-west4"],
                "containers": [["name": "c", "image": image]], "volumes": volumes,
            ] as [String: Any],
        ]
    }

    static func statefulSet(_ storageClass: String) -> [String: Any] {
        [
            "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": "store"],
            "spec": [
                "selector": ["matchLabels": ["app": "s"]],
                "template": ["metadata": ["labels": ["app": "s"]], "spec": pod(volumes: [])["spec"]!],
                "volumeClaimTemplates": [["metadata": ["name": "data"], "spec": ["storageClassName": storageClass]]],
            ] as [String: Any],
        ]
    }

    @Test("claims, claim templates and ephemeral volumes are judged by the class's storage classes, and audited")
    func storageThroughServe() throws {
        let fixture = try AuditLiveTests.AuditFixture()
        let server = try LiveServer(fixture.certs, extraArguments: fixture.serverArguments)
        let ephemeral = { (storageClass: String) -> [String: Any] in
            ["name": "scratch", "ephemeral": ["volumeClaimTemplate": ["spec": ["storageClassName": storageClass]]]]
        }
        let cases: [(object: [String: Any], allowed: Bool, field: String)] = [
            (Self.claim("pd-cmek-europe-west4"), true, ""),
            (Self.claim(nil), false, "spec.storageClassName"),
            (Self.statefulSet("pd-cmek-europe-west4"), true, ""),
            (Self.statefulSet("standard-rwo"), false, "spec.volumeClaimTemplates[0].spec.storageClassName"),
            (Self.pod(volumes: [ephemeral("pd-cmek-europe-west4")]), true, ""),
            (Self.pod(volumes: [ephemeral("standard-rwo")]), false, "spec.volumes[0].ephemeral.volumeClaimTemplate"),
            (
                Self.pod(volumes: [["name": "dump", "hostPath": ["path": "/var/tmp"]]]), false,
                "spec.volumes[0].hostPath"
            ),
        ]
        for (index, entry) in cases.enumerated() {
            let (_, json) = try AdmissionLiveTests.post(
                server, fixture.certs, path: "/validate", body: try Self.review(entry.object, uid: "storage-\(index)"))
            let response = try #require(json["response"] as? [String: Any])
            #expect(response["allowed"] as? Bool == entry.allowed, "case \(index): \(response)")
            let message = (response["status"] as? [String: Any])?["message"] as? String ?? ""
            if !entry.field.isEmpty { #expect(message.contains(entry.field), "case \(index): \(message)") }
        }
        let query = try ChildProcess.run(
            try portcullisBinary(), ["audit", "query", "-o", "json", fixture.logDirectory], timeout: .seconds(30))
        let lines = query.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let byUID = Dictionary(lines.compactMap { line in (line["uid"] as? String).map { ($0, line) } }) { a, _ in a }
        #expect(byUID["storage-1"]?["storageClasses"] as? [String] == ["standard-rwo"], "the default it would get")
        #expect(byUID["storage-2"]?["storageClasses"] as? [String] == ["pd-cmek-europe-west4"])
        #expect(byUID["storage-6"]?["volumeTypes"] as? [String] == ["hostPath"])
    }

    @Test("policy lint --cluster-storage: the shipped dump passes; a storage class provisioning elsewhere fails")
    func clusterStorageEvidence() throws {
        let policy = repositoryRoot.appendingPathComponent("deploy/policy.yaml").path
        let dump = repositoryRoot.appendingPathComponent("examples/cluster-storageclasses.yaml").path
        let ok = try ChildProcess.run(try portcullisBinary(), ["policy", "lint", policy, "--cluster-storage", dump])
        #expect(ok.status == 0, "\(ok.stderr)")
        let certs = try DevCertificates()
        let moved = try String(contentsOfFile: dump, encoding: .utf8).replacingOccurrences(
            of: "values: [europe-west4-a, europe-west4-b, europe-west4-c]",
            with: "values: [europe-west4-a, us-central1-a]")
        try moved.write(toFile: certs.path("dump.yaml"), atomically: true, encoding: .utf8)
        let bad = try ChildProcess.run(
            try portcullisBinary(), ["policy", "lint", policy, "--cluster-storage", certs.path("dump.yaml")])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains(#"class "personal-data": storage class "pd-cmek-europe-west4""#), "\(bad.stderr)")
        #expect(bad.stderr.contains("us-central1-a"), "\(bad.stderr)")
    }
}
