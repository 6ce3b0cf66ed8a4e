import AdmissionAPI
import Testing

@testable import Policy

/// KServe `InferenceService` model URIs: `oci://` models are images; `s3://`, `gs://`, `hf://`, `pvc://` and
/// `https://` sources must lie under one of the class's `models.sources`, pinned where the class requires it.
/// Class `ephi` allows `s3://ephi-models/`, `hf://acme-ml` and `pvc://model-cache`, and requires pinning.
@Suite struct ModelSourceTests {
    static let commit = String(repeating: "0123456789", count: 4)

    /// An InferenceService in namespace `clinical` whose predictor loads `uri`.
    static func inferenceService(_ uri: String, field: String = "model") -> JSONObject {
        var predictor: JSONObject = ["minReplicas": 1]
        predictor[field] = ["modelFormat": ["name": "huggingface"], "storageUri": uri]
        return [
            "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": ["name": "summariser", "namespace": "clinical"], "spec": ["predictor": predictor],
        ]
    }

    static let cases: [(uri: String, rules: Set<RuleID>)] = [
        ("s3://ephi-models/llama/v3?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", []),
        ("s3://ephi-models/llama/v3", [.modelSource]),  // not pinned to an object version
        ("s3://ephi-models-evil/llama?versionId=1", [.modelSource]),
        ("s3://ephi-models/../pci-models/x?versionId=1", [.modelSource]),
        ("s3://other-bucket/llama?versionId=1", [.modelSource]),
        ("hf://acme-ml/summariser@\(commit)", []),
        ("hf://acme-ml/summariser", [.modelSource]),
        ("hf://acme-ml/summariser@main", [.modelSource]),
        ("hf://acme-ml-evil/summariser@\(commit)", [.modelSource]),
        ("hf://meta-llama/Llama-3-8B@\(commit)", [.modelSource]),
        ("pvc://model-cache/llama", [.modelSource]),  // a volume cannot be pinned
        ("gs://ephi-models/llama#1712345678901234", [.modelSource]),  // bucket not listed
        ("ftp://ephi-models/llama", [.modelSource]),
        ("S3://ephi-models/llama?versionId=1", [.modelSource]),
        ("", [.modelSource]),
        ("oci://registry.internal/ephi/models/llama@\(Fixture.digest)", []),
        ("oci://registry.internal/ephi/models/llama:v1", [.imageDigest]),
        ("oci://docker.io/evil/weights:latest", [.registryOrigin, .imageDigest]),
    ]

    @Test(arguments: cases)
    func storageURIIsJudged(uri: String, rules: Set<RuleID>) throws {
        let decision = try Fixture.decide(Self.inferenceService(uri))
        #expect(decision.evaluated)
        #expect(Set(decision.ruleIDs) == rules, "\(uri): \(decision.violations.map(\.text))")
        #expect(decision.violations.allSatisfy { $0.path == "spec.predictor.model.storageUri" })
    }

    @Test func frameworkFieldsAreModelsToo() throws {
        let decision = try Fixture.decide(Self.inferenceService("s3://elsewhere/m", field: "sklearn"))
        #expect(decision.ruleIDs == [.modelSource])
        #expect(decision.violations.first?.path == "spec.predictor.sklearn.storageUri")
    }

    @Test func messageNamesTheFieldTheURIAndTheAllowedSources() throws {
        let decision = try Fixture.decide(Self.inferenceService("ftp://ephi-models/llama"))
        let message = try #require(decision.violations.first?.message)
        #expect(message.contains("InferenceService \"summariser\" predictor"))
        #expect(message.contains("spec.predictor.model.storageUri"))
        #expect(message.contains("\"ftp://ephi-models/llama\""))
        #expect(message.contains("s3://ephi-models/, hf://acme-ml, pvc://model-cache"))
        let unpinned = try #require(
            try Fixture.decide(Self.inferenceService("hf://acme-ml/summariser")).violations.first)
        #expect(unpinned.message.contains("@<40-hex commit>"), "\(unpinned.message)")
    }

    @Test func ociModelIsListedAsTheModelVolumeImage() throws {
        let model = "registry.internal/ephi/models/llama@\(Fixture.digest)"
        let decision = try Fixture.decide(Self.inferenceService("oci://" + model))
        #expect(decision.allowed)
        #expect(decision.volumeImages == [VolumeImage(volume: "model", reference: model)])
    }

    @Test func storageWithoutURICannotBeJudgedInAClassWithSources() throws {
        var service = Self.inferenceService("s3://ephi-models/x?versionId=1")
        service.set("spec.predictor.model.storageUri", nil)
        service.set("spec.predictor.model.storage", ["key": "localMinIO", "path": "llama"])
        let decision = try Fixture.decide(service)
        #expect(decision.ruleIDs == [.modelSource])
        #expect(decision.violations.first?.path == "spec.predictor.model.storage")
    }

    @Test func classWithoutModelSourcesAllowsAnyURIButStillJudgesOCIModels() throws {
        #expect(try Fixture.decide(Self.inferenceService("s3://anything/x"), className: "open").allowed)
        let oci = try Fixture.decide(Self.inferenceService("oci://quay.io/evil/w:1"), className: "open")
        #expect(oci.ruleIDs == [.registryOrigin])
    }

    @Test func predictorContainersAndVolumesFollowTheImageRules() throws {
        var service = Self.inferenceService("s3://ephi-models/x?versionId=1")
        service.set("spec.predictor.containers", [["name": "kserve-container", "image": "docker.io/vllm/vllm:latest"]])
        let decision = try Fixture.decide(service)
        #expect(Set(decision.ruleIDs) == [.registryOrigin, .imageDigest])
        #expect(decision.violations.allSatisfy { $0.path == "spec.predictor.containers[0].image" })
    }

    @Test func placementIsLeftToThePodsKServeCreates() throws {
        // No zone selector: the runtime's defaults are merged into the predictor pods, which are judged themselves.
        let decision = try Fixture.decide(Self.inferenceService("hf://acme-ml/s@\(Self.commit)"))
        #expect(decision.allowed, "\(decision.violations.map(\.text))")
    }

    @Test func servingRuntimeImagesAreJudged() throws {
        let runtime: JSONObject = [
            "apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
            "metadata": ["name": "vllm", "namespace": "clinical"],
            "spec": [
                "supportedModelFormats": [["name": "huggingface"]],
                "containers": [["name": "kserve-container", "image": "docker.io/vllm/vllm-openai:v0.6"]],
            ],
        ]
        let decision = try Fixture.decide(runtime)
        #expect(Set(decision.ruleIDs) == [.registryOrigin, .imageDigest])
        #expect(decision.violations.first?.path == "spec.containers[0].image")
        #expect(decision.subject == "ServingRuntime \"vllm\" runtime")
    }

    @Test func repeatedStorageURIIsMalformed() throws {
        var request = String(
            decoding: Fixture.review(Self.inferenceService("s3://ephi-models/a?versionId=1")), as: UTF8.self
        )
        .replacingOccurrences(of: "\\/", with: "/")
        #expect(request.contains("\"storageUri\":\"s3://ephi-models/a?versionId=1\""))
        request = request.replacingOccurrences(
            of: "\"storageUri\":\"s3://ephi-models/a?versionId=1\"",
            with: "\"storageUri\":\"s3://ephi-models/a?versionId=1\",\"storageUri\":\"s3://evil/b\"")
        #expect(throws: AdmissionDecodingError.self) { try AdmissionReviewCodec.decodeRequest(Array(request.utf8)) }
    }
}
