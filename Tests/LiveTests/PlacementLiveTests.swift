import Foundation
import Testing

/// Node-pool confinement through the real binary and the shipped policy: `cardholder-data` pods only on the
/// segmented `pci-cde` pool, and no other class's pods there.
@Suite("portcullis: node pools", .timeLimit(.minutes(1)))
struct PlacementLiveTests {
    static func cardholderPod(pool: String) -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: tokenizer, namespace: payments-fraud}
        spec:
          nodeSelector:
            topology.kubernetes.io/zone: us-east1-b
            cloud.google.com/gke-nodepool: \(pool)
          tolerations: [{key: portcullis.io/data-class, operator: Equal, value: cardholder-data, effect: NoSchedule}]
          containers:
            - name: api
              image: registry.internal/pci/tokenizer@sha256:\(String(repeating: "c", count: 64))
        """
    }

    @Test("evaluate: a cardholder-data pod on the shared pool is denied, on pci-cde allowed")
    func evaluate() throws {
        let arguments = ["evaluate", "--policy", LiveServer.policy, "--class", "cardholder-data", "-f", "-"]
        let shared = try ChildProcess.run(
            try portcullisBinary(), arguments, input: Self.cardholderPod(pool: "default-pool"))
        #expect(shared.status == 1, "\(shared.stdout)\(shared.stderr)")
        #expect(shared.stdout.contains("[node-pool]"), "\(shared.stdout)")
        #expect(shared.stdout.contains(#"selects node pool cloud.google.com/gke-nodepool="default-pool""#))
        #expect(shared.stdout.contains("runs only on node pools pci-cde"), "\(shared.stdout)")
        let cde = try ChildProcess.run(try portcullisBinary(), arguments, input: Self.cardholderPod(pool: "pci-cde"))
        #expect(cde.status == 0, "\(cde.stdout)\(cde.stderr)")
    }

    @Test("evaluate: an empty node selector term matches no node, so it does not unconfine the pod")
    func emptyTerm() throws {
        let pod = """
            apiVersion: v1
            kind: Pod
            metadata: {name: notes, namespace: clinical-nlp}
            spec:
              nodeSelector: {cloud.google.com/gke-nodepool: ephi-cpu}
              affinity:
                nodeAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    nodeSelectorTerms:
                      - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [europe-west4-a]}]
                      - {}
              containers:
                - {name: c, image: "registry.internal/ephi/notes@sha256:\(String(repeating: "e", count: 64))"}
            """
        let arguments = ["evaluate", "--policy", LiveServer.policy, "--class", "ephi", "-f", "-"]
        let allowed = try ChildProcess.run(try portcullisBinary(), arguments, input: pod)
        #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
        let emptyFields = try ChildProcess.run(
            try portcullisBinary(), arguments, input: pod.replacingOccurrences(of: "- {}", with: "- {matchFields: []}"))
        #expect(emptyFields.status == 0, "an empty matchFields list is an empty term too: \(emptyFields.stdout)")
    }

    @Test("evaluate: a personal-data pod pinned to a zone of its region is allowed, one in another region denied")
    func zoneInRegion() throws {
        let pod = { (zone: String) in
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: crm, namespace: crm-personalisation}
            spec:
              nodeSelector: {topology.kubernetes.io/zone: \(zone)}
              containers:
                - {name: c, image: "registry.internal/pd/crm@sha256:\(String(repeating: "f", count: 64))"}
            """
        }
        let arguments = ["evaluate", "--policy", LiveServer.policy, "-f", "-"]
        let inRegion = try ChildProcess.run(try portcullisBinary(), arguments, input: pod("europe-west4-a"))
        #expect(inRegion.status == 0, "\(inRegion.stdout)\(inRegion.stderr)")
        let outside = try ChildProcess.run(try portcullisBinary(), arguments, input: pod("us-east1-b"))
        #expect(outside.status == 1, "\(outside.stdout)")
        #expect(
            outside.stdout.contains(
                #"topology.kubernetes.io/zone="us-east1-b", outside class "personal-data" regions europe-west4"#),
            "\(outside.stdout)")
    }

    @Test("serve: a public pod selecting the CDE pool is denied, naming the pool's class")
    func serve() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let review = ReviewEnvelope.review(
            uid: "np-1", kind: "Pod", namespace: "web", name: "p",
            object: ReviewEnvelope.pod(
                "p", namespace: "web",
                spec: #"{"nodeSelector":{"cloud.google.com/gke-nodepool":"pci-cde"},"#
                    + #""containers":[{"name":"c","image":"registry.internal/web:1"}]}"#))
        let message = try ReviewEnvelope.denial(server, certs, path: "/validate/public", review: review)
        #expect(
            message.contains("[node-pool]") && message.contains(#"a pool of class "cardholder-data""#), "\(message)")
        #expect(message.contains("spec.nodeSelector"), "\(message)")
    }
}

/// Paths the API server may be configured with by hand: a trailing slash reaches the class, and a class name in the
/// wrong case gets the documented `unknown-class` denial (naming the defined classes), never a bare 404.
@Suite("portcullis serve: lenient class paths", .timeLimit(.minutes(1)))
struct ClassPathLiveTests {
    @Test("/validate/ephi/ is /validate/ephi; /validate/EPHI is denied unknown-class")
    func paths() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let (status, json) = try AdmissionLiveTests.post(
            server, certs, path: "/validate/ephi/", file: AdmissionLiveTests.allowedReview)
        #expect(status == 200)
        #expect((json["response"] as? [String: Any])?["allowed"] as? Bool == true, "\(json)")
        let review = try String(contentsOfFile: AdmissionLiveTests.allowedReview, encoding: .utf8)
        let message = try ReviewEnvelope.denial(server, certs, path: "/validate/EPHI", review: review)
        #expect(message.contains("[unknown-class]") && message.contains(#""EPHI""#), "\(message)")
        #expect(message.contains("defined: cardholder-data, ephi"), "\(message)")
    }
}
