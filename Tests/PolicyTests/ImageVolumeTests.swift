import AdmissionAPI
import Testing

@testable import Policy

/// Image volumes (`spec.volumes[].image.reference`) and inline CSI volumes that pull images are images: the
/// same origin, digest and reference rules as containers, with the volume's JSON path in the message.
@Suite struct ImageVolumeTests {
    /// The fixture pod with one more volume, `model`, mounting `reference` as an image volume.
    static func podMounting(_ reference: Any?, at index: Int = 0) -> JSONObject {
        var pod = Fixture.pod()
        for filler in 0..<index { pod.set("spec.volumes.\(filler)", ["name": "scratch\(filler)", "emptyDir": [:]]) }
        var image: JSONObject = ["pullPolicy": "IfNotPresent"]
        if let reference { image["reference"] = reference }
        pod.set("spec.volumes.\(index)", ["name": "model", "image": image])
        return pod
    }

    @Test(arguments: ImageOriginTests.cases)
    func volumeReferenceFollowsTheImageRules(image: String, rules: Set<RuleID>) throws {
        let decision = try Fixture.decide(Self.podMounting(image))
        #expect(Set(decision.ruleIDs) == rules, "\(decision.violations.map(\.text))")
        #expect(decision.allowed == rules.isEmpty)
    }

    /// The pod from the issue: pinned containers, a model from docker.io mounted at `spec.volumes[2]`.
    @Test func foreignModelIsDeniedNamingTheVolume() throws {
        let decision = try Fixture.decide(Self.podMounting("docker.io/evil/stolen-weights:latest", at: 2))
        #expect(!decision.allowed)
        #expect(Set(decision.ruleIDs) == [.registryOrigin, .imageDigest])
        let origin = try #require(decision.violations.first { $0.ruleID == .registryOrigin })
        #expect(origin.path == "spec.volumes[2].image.reference")
        #expect(origin.message.contains("image volume \"model\""))
        #expect(origin.message.contains("spec.volumes[2].image.reference"))
        #expect(origin.message.contains("\"docker.io\""))
        #expect(origin.message.contains("allows only registry.internal/ephi, registry.internal:5000"))
    }

    @Test func missingReferenceIsDenied() throws {
        let decision = try Fixture.decide(Self.podMounting(nil))
        #expect(decision.ruleIDs == [.imageReference])
        #expect(decision.violations.first?.message.contains("spec.volumes[0].image.reference") == true)
    }

    @Test func volumeImagesAreListedAsVolumes() throws {
        let model = "registry.internal/ephi/models/llama@\(Fixture.digest)"
        let decision = try Fixture.decide(Self.podMounting(model, at: 1))
        #expect(decision.allowed)
        #expect(decision.images == [Fixture.image])
        #expect(decision.volumeImages == [VolumeImage(volume: "model", reference: model)])
        #expect(decision.allImages == [Fixture.image, model])
    }

    @Test(arguments: ["Deployment", "StatefulSet", "Job", "CronJob"])
    func templateVolumesAreChecked(kind: String) throws {
        let decision = try Fixture.decide(Fixture.workload(kind, from: Self.podMounting("docker.io/evil/w:1")))
        #expect(decision.ruleIDs == [.imageDigest, .registryOrigin])
        #expect(decision.violations.allSatisfy { $0.path.hasSuffix(".volumes[0].image.reference") })
    }

    @Test func otherVolumesAreNotImages() throws {
        var pod = Fixture.pod()
        pod.set("spec.volumes.0", ["name": "data", "persistentVolumeClaim": ["claimName": "x"]])
        pod.set("spec.volumes.1", ["name": "cfg", "configMap": ["name": "docker.io/evil"]])
        #expect(try Fixture.decide(pod).allowed)
    }

    @Test func repeatedImageMemberIsMalformed() throws {
        let review = """
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"",\
            "version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"c",\
            "operation":"CREATE","userInfo":{"username":"a"},"object":{"kind":"Pod","spec":{"containers":[],\
            "volumes":[{"name":"m","image":{"reference":"registry.internal/ephi/m@\(Fixture.digest)",\
            "reference":"docker.io/evil/m"}}]}}}}
            """
        #expect(throws: AdmissionDecodingError.self) { try AdmissionReviewCodec.decodeRequest(Array(review.utf8)) }
        let nullThenValue = review.replacingOccurrences(
            of: "\"reference\":\"registry.internal/ephi/m@\(Fixture.digest)\"", with: "\"reference\":null")
        #expect(throws: AdmissionDecodingError.self) {
            try AdmissionReviewCodec.decodeRequest(Array(nullThenValue.utf8))
        }
    }

    /// Inline CSI volumes: drivers the policy lists as image-pulling are images, read from their attribute; a
    /// class that lists allowed inline drivers denies others.
    @Test func imagePullingCSIVolumeIsAnImage() throws {
        var pod = Fixture.pod()
        pod.set(
            "spec.volumes.0",
            [
                "name": "weights",
                "csi": ["driver": "csi-image.warm-metal.tech", "volumeAttributes": ["image": "docker.io/evil/w:1"]],
            ])
        let decision = try Fixture.decide(pod)
        #expect(Set(decision.ruleIDs) == [.registryOrigin, .imageDigest])
        #expect(decision.violations.allSatisfy { $0.path == "spec.volumes[0].csi.volumeAttributes.image" })
        #expect(decision.volumeImages == [VolumeImage(volume: "weights", reference: "docker.io/evil/w:1")])
        let good = "registry.internal/ephi/models/w@\(Fixture.digest)"
        pod.set("spec.volumes.0.csi.volumeAttributes.image", good)
        #expect(try Fixture.decide(pod).allowed)
        pod.set("spec.volumes.0.csi.volumeAttributes", nil)
        #expect(try Fixture.decide(pod).ruleIDs == [.imageReference])
    }

    @Test func inlineCSIDriverOutsideTheClassListIsDenied() throws {
        var pod = Fixture.pod()
        pod.set("spec.volumes.0", ["name": "s", "csi": ["driver": "secrets-store.csi.k8s.io"]])
        #expect(try Fixture.decide(pod).allowed, "ephi lists secrets-store.csi.k8s.io")
        pod.set("spec.volumes.0.csi.driver", "smb.csi.k8s.io")
        let decision = try Fixture.decide(pod)
        #expect(decision.ruleIDs == [.csiDriver])
        #expect(decision.violations.first?.path == "spec.volumes[0].csi.driver")
        #expect(decision.violations.first?.message.contains("\"smb.csi.k8s.io\"") == true)
        #expect(decision.violations.first?.message.contains("secrets-store.csi.k8s.io") == true)
        #expect(try Fixture.decide(pod, className: "open").allowed, "a class without a list allows any driver")
    }
}

/// Hostile and malformed volumes: a clear decoding error naming the field, never a crash or an allow.
@Suite struct ImageVolumeDecodingTests {
    static let cases: [(name: String, volumes: String, path: String)] = [
        ("volumes not a list", #"{"a":1}"#, "volumes"),
        ("volume not an object", #"["model"]"#, "volumes[0]"),
        ("image not an object", #"[{"name":"m","image":"docker.io/evil"}]"#, "volumes[0].image"),
        ("reference a number", #"[{"name":"m","image":{"reference":7}}]"#, "volumes[0].image.reference"),
        (
            "csi attributes not strings", #"[{"name":"m","csi":{"driver":"d","volumeAttributes":{"image":[]}}}]"#,
            "volumes[0].csi.volumeAttributes.image"
        ),
        ("repeated volume name", #"[{"name":"a","name":"b","image":{"reference":"r"}}]"#, "volumes[0]"),
        (
            "repeated csi attribute",
            #"[{"name":"m","csi":{"driver":"d","volumeAttributes":{"image":"a","image":"b"}}}]"#,
            "volumes[0].csi.volumeAttributes"
        ),
        (
            "deep nesting inside a skipped source",
            "[{\"name\":\"m\",\"emptyDir\":" + String(repeating: "[", count: 200)
                + String(repeating: "]", count: 200) + "}]", "volumes[0].emptyDir"
        ),
    ]

    @Test(arguments: cases)
    func malformedVolumesAreClearErrors(name: String, volumes: String, path: String) throws {
        let review = """
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"",\
            "version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"c",\
            "operation":"CREATE","userInfo":{"username":"a"},"object":{"kind":"Pod","spec":{"containers":[],\
            "volumes":\(volumes)}}}}
            """
        do {
            _ = try AdmissionReviewCodec.decodeRequest(Array(review.utf8))
            Issue.record("\(name) was decoded")
        } catch {
            #expect(error.path.hasPrefix("request.object.spec." + path), "\(name): \(error.message)")
        }
    }
}
