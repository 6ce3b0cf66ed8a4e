import Foundation
import Testing

@testable import Policy

/// `portcullis evaluate` as a CI job sees it: the shipped policy and examples, and the exit status.
@Suite struct EvaluateTests {
    static let root = PolicyLintTests.repositoryRoot

    static let engine: PolicyEngine = {
        let text = try! String(contentsOf: root.appending(path: "deploy/policy.yaml"), encoding: .utf8)
        return PolicyEngine(policy: try! PolicyDocument.parse(yaml: text), policySHA256: "sha")
    }()

    static func run(_ input: [UInt8], className: String? = "ephi") -> ManifestEvaluation {
        ManifestEvaluation.run(input: input, engine: engine, className: className, now: Fixture.now)
    }

    static func example(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appending(path: "examples/\(name)")))
    }

    static let examples: [(file: String, exitCode: Int32, verdicts: [String])] = [
        ("admission-review-pod.json", 0, ["allow"]),
        ("admission-review-denied.json", 1, ["deny"]),
        ("training-job.yaml", 0, ["allow"]),
        ("inference-deployment.yaml", 0, ["allow"]),
        ("notebook-statefulset.yaml", 0, ["skip", "allow"]),
        ("denied-workloads.yaml", 1, ["deny", "deny", "deny"]),
        ("model-server-pod.yaml", 0, ["allow"]),
        ("admission-review-model.json", 0, ["allow"]),
        ("denied-model-volume.yaml", 1, ["deny"]),
        ("inference-services.yaml", 1, ["allow", "allow", "deny", "deny"]),
        ("dra-training-job.yaml", 0, ["allow", "allow"]),
        ("namespaces.yaml", 0, ["skip", "skip", "skip", "skip", "skip"]),
        (
            "ai-workloads.yaml", 1,
            ["allow", "deny", "allow", "deny", "allow", "deny", "allow", "deny", "allow", "deny", "allow", "deny"]
        ),
    ]

    @Test(arguments: examples)
    func shippedExamples(file: String, exitCode: Int32, verdicts: [String]) throws {
        let result = Self.run(try Self.example(file))
        #expect(result.rows.map(\.verdict) == verdicts, "\(result.text())")
        #expect(result.exitCode == exitCode)
    }

    @Test func deniedExamplesNameTheirRules() throws {
        let result = Self.run(try Self.example("denied-workloads.yaml"))
        #expect(
            result.rows.map { $0.decision?.ruleIDs ?? [] } == [
                // node-pool: neither CPU workload selects ephi's CPU pool either.
                [.imageDigest, .nodePool, .registryOrigin], [.gpuPool, .zoneResidency],
                [.blanketToleration, .nodePool],
            ])
        #expect(result.text().contains("CronJob clinical-nlp/nightly-eval"))
    }

    /// The verdicts examples/ai-workloads.yaml documents in its header, and the template each denial names.
    @Test func aiWorkloadsNameTheirTemplates() throws {
        let result = Self.run(try Self.example("ai-workloads.yaml"))
        #expect(
            result.rows.map(\.name) == [
                "rrs-pretrain", "rrs-pretrain-quick", "rrs-embeddings", "rrs-embeddings-t4", "rrs-eval",
                "rrs-eval-shared", "rrs-serve", "rrs-serve-any", "rrs-dra-debug", "rrs-dra-unpinned", "rrs-finetune",
                "rrs-finetune-hub",
            ])
        #expect(
            result.rows.map { $0.decision?.ruleIDs ?? [] } == [
                [], [.imageDigest, .registryOrigin], [], [.gpuPool], [], [.nodePool], [], [.blanketToleration], [],
                [.gpuPool], [], [.foreignTaint, .imageDigest, .registryOrigin],
            ])
        #expect(
            result.rows.map { $0.decision?.violations.first?.path ?? "" } == [
                "", "spec.pytorchReplicaSpecs.Worker.template.spec.containers[0].image", "",
                "spec.workerGroupSpecs[1].template.spec.nodeSelector", "",
                "spec.replicatedJobs[0].template.spec.template.spec",
                "", "spec.leaderWorkerTemplate.workerTemplate.spec.tolerations[0]", "", "spec", "",
                "spec.podTemplateOverrides[0].spec.tolerations[0]",
            ])
        let text = result.text()
        #expect(
            text.contains(#"PyTorchJob "rrs-pretrain-quick" pod template spec.pytorchReplicaSpecs.Worker.template:"#))
        #expect(text.contains(#"RayCluster "rrs-embeddings-t4" pod template spec.workerGroupSpecs[1].template:"#))
    }

    @Test func deniedModelsNameTheirFields() throws {
        let volume = Self.run(try Self.example("denied-model-volume.yaml"))
        let text = volume.text()
        #expect(volume.rows.first?.decision?.ruleIDs == [.imageDigest, .registryOrigin])
        #expect(text.contains("image volume \"model\" (spec.volumes[0].image.reference)"), "\(text)")
        #expect(text.contains("allows only registry.internal/ephi, registry.internal/base"), "\(text)")
        let services = Self.run(try Self.example("inference-services.yaml"))
        #expect(
            services.rows.map { $0.decision?.violations.map(\.path) ?? [] } == [
                [], [], ["spec.predictor.sklearn.storageUri"], ["spec.predictor.model.storageUri"],
            ])
    }

    /// The promise docs/THREAT_MODEL.md makes: every namespace the shipped policy maps to a class is shipped
    /// labelled with that class and enforcing Pod Security Admission, which covers what Portcullis does not.
    @Test func exampleNamespacesNameTheirClassAndEnforcePodSecurity() throws {
        var labels: [String: [String: String]] = [:]
        for document in try ManifestDocuments.split(try Self.example("namespaces.yaml")) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(document)) as? [String: Any])
            let metadata = try #require(object["metadata"] as? [String: Any])
            labels[try #require(metadata["name"] as? String)] = metadata["labels"] as? [String: String]
        }
        for (namespace, className) in Self.engine.policy.namespaceClasses {
            let namespaceLabels = try #require(labels[namespace], "\(namespace) is not in examples/namespaces.yaml")
            #expect(namespaceLabels["portcullis.io/data-class"] == className)
            #expect(["restricted", "baseline"].contains(namespaceLabels["pod-security.kubernetes.io/enforce"]))
        }
    }

    @Test func jsonDocumentsSeparatedByDashesAreEachEvaluated() throws {
        let pod = { (name: String) in
            #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\#(name)","namespace":"clinical-nlp"},"spec":{"containers":[{"name":"c","image":"docker.io/x:1"}]}}"#
        }
        let input = "\n" + pod("a") + "\n---\n" + pod("b") + "\r\n--- \n\n---\n" + pod("c") + "\n"
        let result = Self.run(Array(input.utf8), className: "public")
        #expect(result.rows.map(\.name) == ["a", "b", "c"], "\(result.text())")
        #expect(result.rows.allSatisfy { $0.verdict == "deny" })
        #expect(result.exitCode == 1)
        // A `---` that is not alone on its line is not a separator: the document stays one, and is malformed.
        let joined = Self.run(Array((pod("a") + " ---\n" + pod("b")).utf8))
        #expect(joined.exitCode == 2)
    }

    @Test func personalDataStorageExampleIsJudgedByItsNamespacesClass() throws {
        let result = Self.run(try Self.example("personal-data-storage.yaml"), className: nil)
        #expect(result.rows.map(\.verdict) == ["allow", "allow", "deny", "deny"], "\(result.text())")
        #expect(result.rows.map { $0.decision?.ruleIDs ?? [] } == [[], [], [.storageClass], [.volumeType]])
        #expect(result.rows.allSatisfy { $0.decision?.className == "personal-data" })
    }

    @Test func namespaceResolvesTheClassWithoutFlag() throws {
        let result = Self.run(try Self.example("training-job.yaml"), className: nil)
        #expect(result.rows.first?.decision?.className == "ephi")
        #expect(result.exitCode == 0)
    }

    static let badInputs: [(name: String, input: String)] = [
        ("empty", ""),
        ("invalid YAML", "kind: Pod\n  spec: [\n"),
        ("invalid JSON", "{\"kind\": \"Pod\",}"),
        ("no kind", "metadata: {name: x}\n"),
        ("containers not a list", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: 3}\n"),
        ("a bad document among good ones", "apiVersion: v1\nkind: ConfigMap\n---\njust a string\n"),
        ("a syntax error after a good document", "apiVersion: v1\nkind: ConfigMap\n---\nkind: Pod\n  spec: [\n"),
    ]

    @Test(arguments: badInputs)
    func badInputExitsTwo(name: String, input: String) {
        let result = Self.run(Array(input.utf8))
        #expect(result.exitCode == 2, "\(name): \(result.text())")
    }

    @Test func listsAreEvaluatedItemByItem() throws {
        let yaml = """
            apiVersion: v1
            kind: List
            items:
              - apiVersion: v1
                kind: ConfigMap
                metadata: {name: c}
              - apiVersion: apps/v1
                kind: Deployment
                metadata: {name: d, namespace: clinical-nlp}
                spec:
                  template:
                    spec:
                      containers: [{name: c, image: nginx}]
            """
        let result = Self.run(Array(yaml.utf8))
        #expect(result.rows.map(\.verdict) == ["skip", "deny"])
        #expect(result.exitCode == 1)
        let json = #"{"apiVersion":"v1","kind":"DeploymentList","items":[]}"#
        #expect(Self.run(Array(json.utf8)).rows.isEmpty)
        #expect(Self.run(Array(json.utf8)).exitCode == 0)
    }

    @Test func jsonOutputIsParseableAndCarriesThePolicyHash() throws {
        let result = Self.run(try Self.example("denied-workloads.yaml"))
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.json().utf8)) as? [[String: Any]])
        #expect(rows.count == 3)
        #expect(rows[0]["verdict"] as? String == "deny")
        #expect(rows[0]["policySHA256"] as? String == "sha")
        #expect((rows[2]["violations"] as? [[String: Any]])?.first?["rule"] as? String == "blanket-toleration")
    }
}
