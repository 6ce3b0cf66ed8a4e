import Foundation
import Testing

/// Models mounted as image volumes, end to end: model weights pushed to Debian's `docker-registry` as an OCI
/// artifact (artifactType, empty config) and signed by the independent Python signer, a pod mounting them
/// through `portcullis serve`, then the audit line, `audit query --image` and `audit report`.
@Suite("portcullis serve: models as image volumes", .serialized, .timeLimit(.minutes(2)))
struct ModelLiveTests {
    typealias Environment = SignatureLiveTests.Environment

    /// A pod whose one container runs the approved `annotated` image and which mounts `model` as volume "model".
    static func spec(container: String, model: String) -> [String: Any] {
        [
            "containers": [
                ["name": "server", "image": container, "volumeMounts": [["name": "model", "mountPath": "/m"]]]
            ],
            "volumes": [["name": "model", "image": ["reference": model, "pullPolicy": "IfNotPresent"]]],
        ]
    }

    @Test("a signed model artifact is admitted and its digest and signer reach the audit line and the report")
    func signedModelIsAdmittedAndAudited() throws {
        let live = try Environment()
        let container = try #require(live.scenarios["annotated"])
        let model = try #require(live.scenarios["model-signed"])
        let uid = "model-" + UUID().uuidString
        let response = try live.admit(
            spec: Self.spec(container: container, model: model), in: "ephi", uid: uid, naming: model)
        #expect(response["allowed"] as? Bool == true, "\(SignatureLiveTests.message(response))")

        let images = try #require(try live.auditRecord(uid: uid)["images"] as? [[String: Any]])
        let volume = try #require(images.first { $0["volume"] as? String == "model" }, "\(images)")
        #expect(volume["reference"] as? String == model)
        #expect(volume["digest"] as? String == String(model.split(separator: "@")[1]))
        #expect(volume["authority"] as? String == "release")
        #expect((volume["key"] as? String)?.hasPrefix("sha256:") == true)
        #expect(volume["approvedFor"] as? String == "ephi")
        #expect(images.first { $0["volume"] == nil }?["reference"] as? String == container)

        let query = try ChildProcess.run(
            try portcullisBinary(),
            ["audit", "query", "-o", "json", "--image", "live/model-signed", live.certs.path("audit")],
            timeout: .seconds(30))
        #expect(query.status == 0 && query.stdout.contains(uid), "\(query.stderr)")

        let report = try ChildProcess.run(
            try portcullisBinary(), ["audit", "report", "-o", "json", live.certs.path("audit")], timeout: .seconds(30))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let models = try #require(json["modelsAdmitted"] as? [[String: Any]])
        #expect(models.count == 1, "\(models)")
        #expect(models.first?["reference"] as? String == model)
        #expect(models.first?["digest"] as? String == String(model.split(separator: "@")[1]))
        #expect(models.first?["authority"] as? String == "release")
        #expect(models.first?["classes"] as? [String] == ["ephi"])
    }

    @Test("an unsigned model, and the issue's docker.io model, are denied naming the volume")
    func unsignedAndForeignModelsAreDenied() throws {
        let live = try Environment()
        let container = try #require(live.scenarios["annotated"])
        let unsigned = try #require(live.scenarios["model-unsigned"])
        let denied = try live.admit(
            spec: Self.spec(container: container, model: unsigned), in: "ephi", naming: unsigned)
        #expect(denied["allowed"] as? Bool == false)
        #expect(SignatureLiveTests.reason(denied) == "Unsigned")
        let message = SignatureLiveTests.message(denied)
        #expect(message.contains("[image-signature]") && message.contains(unsigned), "\(message)")
        #expect(message.contains("spec.volumes[0].image.reference"), "\(message)")

        let foreign = "docker.io/evil/stolen-weights:latest"
        let uid = "foreign-" + UUID().uuidString
        let response = try live.admit(
            spec: Self.spec(container: container, model: foreign), in: "ephi", uid: uid, naming: foreign)
        #expect(response["allowed"] as? Bool == false)
        let text = SignatureLiveTests.message(response)
        #expect(text.contains("[registry-origin]") && text.contains("image volume \"model\""), "\(text)")
        #expect(text.contains("\"docker.io\"") && text.contains("allows only \(live.host)/live"), "\(text)")
        #expect(live.registryRequests("/v2/evil/") == 0, "a foreign model is never fetched")
        let images = try #require(try live.auditRecord(uid: uid)["images"] as? [[String: Any]])
        #expect(images.contains { $0["volume"] as? String == "model" && $0["reference"] as? String == foreign })
    }

    @Test("a model tag is resolved to the artifact's digest and verified like an image")
    func modelTagIsResolved() throws {
        let live = try Environment()
        let container = try #require(live.scenarios["signed"])
        let tagged = "\(live.host)/live/model-signed:v1"
        let uid = "tag-" + UUID().uuidString
        let response = try live.admit(
            spec: Self.spec(container: container, model: tagged), in: "release", uid: uid, naming: tagged)
        #expect(response["allowed"] as? Bool == true, "\(SignatureLiveTests.message(response))")
        let images = try #require(try live.auditRecord(uid: uid)["images"] as? [[String: Any]])
        let model = try #require(live.scenarios["model-signed"])
        #expect(
            images.first { $0["volume"] as? String == "model" }?["digest"] as? String
                == String(model.split(separator: "@")[1]))
    }

    @Test("portcullis evaluate judges the shipped model examples as the webhook does, with CI's exit codes")
    func evaluateShippedModelExamples() throws {
        func evaluate(_ example: String) throws -> (Int32?, String) {
            let result = try ChildProcess.run(
                try portcullisBinary(),
                [
                    "evaluate", "--policy", repositoryRoot.appendingPathComponent("deploy/policy.yaml").path, "-f",
                    repositoryRoot.appendingPathComponent("examples/\(example)").path,
                ], timeout: .seconds(30))
            return (result.status, result.stdout)
        }
        let (deniedStatus, denied) = try evaluate("denied-model-volume.yaml")
        #expect(deniedStatus == 1, "\(denied)")
        #expect(denied.contains("image volume \"model\" (spec.volumes[0].image.reference)"), "\(denied)")
        #expect(denied.contains("from registry \"docker.io\""), "\(denied)")
        let (allowedStatus, allowed) = try evaluate("model-server-pod.yaml")
        #expect(allowedStatus == 0 && allowed.contains("ALLOW  Pod clinical-nlp/summariser-server"), "\(allowed)")
        let (servicesStatus, services) = try evaluate("inference-services.yaml")
        #expect(servicesStatus == 1)
        #expect(services.components(separatedBy: "[model-source]").count == 3, "\(services)")
        #expect(services.contains("ALLOW  InferenceService clinical-nlp/triage"), "\(services)")
    }
}
