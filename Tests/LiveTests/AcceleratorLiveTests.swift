import Foundation
import Testing

/// Every accelerator path through the real binary: `portcullis evaluate` as CI runs it, `portcullis serve`
/// answering the API server's reviews for bindings and claim templates, and `policy lint` on the older
/// `gpu:` spelling. The shipped policy and examples throughout.
@Suite("portcullis: accelerators, claims and bindings", .timeLimit(.minutes(1)))
struct AcceleratorLiveTests {
    static let draJob = repositoryRoot.appendingPathComponent("examples/dra-training-job.yaml").path

    static func evaluate(_ arguments: [String], input: String? = nil) throws -> (
        status: Int32?, stdout: String, stderr: String
    ) {
        try ChildProcess.run(
            try portcullisBinary(), ["evaluate", "--policy", LiveServer.policy] + arguments, input: input)
    }

    @Test("the DRA training job in ephi is allowed, claim template and job both")
    func draJobAllowed() throws {
        let result = try Self.evaluate(["--class", "ephi", "-f", Self.draJob])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("ALLOW  ResourceClaimTemplate clinical-nlp/a100-pair"), "\(result.stdout)")
        #expect(result.stdout.contains("ALLOW  Job clinical-nlp/rrs-finetune-dra"), "\(result.stdout)")
    }

    @Test(
        "denied paths name the field and the fix",
        arguments: [
            (
                "public",
                "apiVersion: v1\nkind: Pod\nmetadata: {name: tpu}\nspec:\n  containers:\n"
                    + "    - {name: m, image: registry.internal/m, resources: {limits: {google.com/tpu: 4}}}\n",
                "[gpu-pool]", "set nodeSelector cloud.google.com/gke-nodepool to one of shared-t4"
            ),
            (
                "ephi",
                try! String(contentsOfFile: draJob, encoding: .utf8)
                    .replacingOccurrences(
                        of: "cloud.google.com/gke-nodepool: ephi-a100", with: "cloud.google.com/gke-nodepool: shared-t4"
                    ),
                "[gpu-pool]", #"resource claim "gpus" (spec.template.spec.resourceClaims[0]"#
            ),
            (
                "ephi",
                try! String(contentsOfFile: draJob, encoding: .utf8)
                    .replacingOccurrences(of: "allocationMode: ExactCount", with: "allocationMode: All"),
                "[device-count]", "spec.spec.devices.requests[0].exactly.allocationMode is \"All\""
            ),
            (
                "ephi",
                try! String(contentsOfFile: draJob, encoding: .utf8)
                    .replacingOccurrences(
                        of: "restartPolicy: Never", with: "restartPolicy: Never\n      schedulerName: my-scheduler"),
                "[scheduler-name]", "spec.template.spec.schedulerName is \"my-scheduler\""
            ),
        ])
    func deniedPaths(className: String, manifest: String, rule: String, fragment: String) throws {
        let result = try Self.evaluate(["--class", className, "-f", "-"], input: manifest)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains(rule) && result.stdout.contains(fragment), "\(result.stdout)")
    }

    static func bindingReview(node: String, username: String) -> String {
        #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"b-1","#
            + #""kind":{"group":"","version":"v1","kind":"Binding"},"resource":{"group":"","version":"v1","resource":"pods"},"#
            + #""subResource":"binding","namespace":"web","name":"p","operation":"CREATE","#
            + #""userInfo":{"username":"\#(username)"},"#
            + #""object":{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p","namespace":"web"},"#
            + #""target":{"apiVersion":"v1","kind":"Node","name":"\#(node)"}}}}"#
    }

    @Test("pods/binding: a public pod bound to an ephi GPU node is denied, unless the scheduler binds it")
    func binding() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let node = "gke-prod-ephi-a100-5f2d8c1b-x7k2"
        let (_, denied) = try AdmissionLiveTests.post(
            server, certs, path: "/validate/public", body: Self.bindingReview(node: node, username: "mallory"))
        let response = try #require(denied["response"] as? [String: Any])
        #expect(response["allowed"] as? Bool == false)
        let message = try #require((response["status"] as? [String: Any])?["message"] as? String)
        #expect(message.contains("[node-binding]") && message.contains(node) && message.contains(#"class "ephi""#))
        #expect(server.log.contains(#""msg":"denied""#))
        let (_, allowed) = try AdmissionLiveTests.post(
            server, certs, path: "/validate/public",
            body: Self.bindingReview(node: node, username: "system:kube-scheduler"))
        #expect((allowed["response"] as? [String: Any])?["allowed"] as? Bool == true)
    }

    @Test("a claim template asking for an unknown device class is denied by the server, naming it")
    func claimTemplate() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let review = ReviewEnvelope.review(
            uid: "c-1", group: "resource.k8s.io", version: "v1beta1", kind: "ResourceClaimTemplate",
            namespace: "clinical-nlp", name: "t",
            object: #"{"apiVersion":"resource.k8s.io/v1beta1","kind":"ResourceClaimTemplate","metadata":{"name":"t"},"#
                + #""spec":{"spec":{"devices":{"requests":[{"name":"x","deviceClassName":"fpga.example.com"}]}}}}"#)
        let message = try ReviewEnvelope.denial(server, certs, path: "/validate/ephi", review: review)
        #expect(message.contains("[device-class]") && message.contains("fpga.example.com"), "\(message)")
        #expect(message.contains("spec.spec.devices.requests[0].deviceClassName"), "\(message)")
    }

    @Test("policy lint reads gpu: as accelerators: and suggests the new spelling without failing")
    func lintSuggestsAccelerators() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-lint-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("policy.yaml").path
        try
            "apiVersion: portcullis.dev/v1\nkind: Policy\ngpu: {nodePoolLabel: pool}\nclasses:\n  a: {registries: [r.io]}\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run(try portcullisBinary(), ["policy", "lint", file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stderr.contains("\(file):3:6: suggestion: the policy: gpu is the older spelling of accelerators"),
            "\(result.stderr)")
    }
}
