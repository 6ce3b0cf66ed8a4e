import Foundation
import Testing

/// Pod templates by configuration through the real binary: `evaluate` on examples/ai-workloads.yaml with its
/// documented verdicts, `manifests` routing the shipped kinds, and `serve` judging a RayCluster's worker group.
@Suite("portcullis: AI workload kinds", .timeLimit(.minutes(1)))
struct WorkloadKindLiveTests {
    static let example = repositoryRoot.appendingPathComponent("examples/ai-workloads.yaml").path

    @Test("evaluate gives examples/ai-workloads.yaml its documented verdicts")
    func evaluate() throws {
        let result = try ChildProcess.run(
            try portcullisBinary(), ["evaluate", "--policy", LiveServer.policy, "--class", "ephi", "-f", Self.example])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let verdicts = result.stdout.split(separator: "\n").filter { $0.hasPrefix("ALLOW") || $0.hasPrefix("DENY") }
            .map { $0.split(separator: " ", omittingEmptySubsequences: true).prefix(3).joined(separator: " ") }
        #expect(
            verdicts == [
                "ALLOW PyTorchJob clinical-nlp/rrs-pretrain", "DENY PyTorchJob clinical-nlp/rrs-pretrain-quick",
                "ALLOW RayCluster clinical-nlp/rrs-embeddings", "DENY RayCluster clinical-nlp/rrs-embeddings-t4",
                "ALLOW JobSet clinical-nlp/rrs-eval", "DENY JobSet clinical-nlp/rrs-eval-shared",
                "ALLOW LeaderWorkerSet clinical-nlp/rrs-serve", "DENY LeaderWorkerSet clinical-nlp/rrs-serve-any",
                "ALLOW Pod clinical-nlp/rrs-dra-debug", "DENY Pod clinical-nlp/rrs-dra-unpinned",
                "ALLOW TrainJob clinical-nlp/rrs-finetune", "DENY TrainJob clinical-nlp/rrs-finetune-hub",
            ], "\(result.stdout)")
        #expect(
            result.stdout.contains(#"TrainJob "rrs-finetune-hub": image field (spec.trainer.image): image "pytorch/"#),
            "\(result.stdout)")
        #expect(result.stdout.contains("pod template spec.workerGroupSpecs[1].template:"), "\(result.stdout)")
    }

    @Test("manifests routes the shipped workload kinds")
    func manifests() throws {
        let result = try ChildProcess.run(try portcullisBinary(), ["manifests", "--policy", LiveServer.policy])
        #expect(result.status == 0, "\(result.stderr)")
        for fragment in [
            #"apiGroups: ["kubeflow.org"]"#, #"resources: ["pytorchjobs"]"#,
            #"resources: ["rayclusters", "rayjobs", "rayservices"]"#,
            #"resources: ["jobsets"]"#, #"resources: ["leaderworkersets"]"#,
            #"resources: ["trainingruntimes", "trainjobs"]"#,
            #""replicationcontrollers""#,
        ] {
            #expect(result.stdout.contains(fragment), "\(fragment)")
        }
    }

    @Test("serve denies a RayCluster whose worker group runs a public image, naming the group's template")
    func serve() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let pinned = "registry.internal/ephi/ray:2.40@sha256:" + String(repeating: "d", count: 64)
        let template = { (image: String) in
            #"{"spec":{"nodeSelector":{"cloud.google.com/gke-nodepool":"ephi-cpu","#
                + #""topology.kubernetes.io/zone":"europe-west4-a"},"containers":[{"name":"ray","image":"\#(image)"}]}}"#
        }
        let review = ReviewEnvelope.review(
            uid: "rc-1", group: "ray.io", kind: "RayCluster", namespace: "clinical-nlp", name: "rc",
            object:
                #"{"apiVersion":"ray.io/v1","kind":"RayCluster","metadata":{"name":"rc","namespace":"clinical-nlp"},"#
                + #""spec":{"headGroupSpec":{"template":\#(template(pinned))},"#
                + #""workerGroupSpecs":[{"groupName":"a","template":\#(template(pinned))},"#
                + #"{"groupName":"b","template":\#(template("rayproject/ray:2.40.0"))}]}}"#)
        let message = try ReviewEnvelope.denial(server, certs, path: "/validate/ephi", review: review)
        #expect(message.contains("[registry-origin]"), "\(message)")
        #expect(message.contains("spec.workerGroupSpecs[1].template.spec.containers[0].image"), "\(message)")
    }

    @Test("serve judges a TrainJob's trainer image, and its override only on what the override sets")
    func serveTrainJob() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let trainJob = { (name: String, image: String) in
            ReviewEnvelope.review(
                uid: name, group: "trainer.kubeflow.org", version: "v1alpha1", kind: "TrainJob",
                namespace: "clinical-nlp", name: name,
                object: #"{"apiVersion":"trainer.kubeflow.org/v1alpha1","kind":"TrainJob","#
                    + #""metadata":{"name":"\#(name)","namespace":"clinical-nlp"},"spec":{"runtimeRef":{"name":"t"},"#
                    + #""trainer":{"image":"\#(image)"},"podTemplateOverrides":[{"targetJobs":[{"name":"node"}],"#
                    + #""spec":{"serviceAccountName":"rrs-trainer","containers":[{"name":"node","env":[]}]}}]}}"#)
        }
        let pinned = "registry.internal/ephi/rrs-trainer:3.2@sha256:" + String(repeating: "c", count: 64)
        let (status, json) = try AdmissionLiveTests.post(
            server, certs, path: "/validate/ephi", body: trainJob("tj", pinned))
        #expect(status == 200)
        #expect((json["response"] as? [String: Any])?["allowed"] as? Bool == true, "\(json)")
        let message = try ReviewEnvelope.denial(
            server, certs, path: "/validate/ephi", review: trainJob("tj-hub", "pytorch/pytorch:2.5.1"))
        #expect(
            message.contains(#"[registry-origin] TrainJob "tj-hub": image field (spec.trainer.image)"#), "\(message)")
    }
}
