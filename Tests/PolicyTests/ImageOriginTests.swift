import AdmissionAPI
import Testing

@testable import Policy

/// Registry origin and digest pinning, including every normalisation trick that could smuggle an image
/// past a prefix match. Class `ephi` allows `registry.internal/ephi` and `registry.internal:5000`.
@Suite struct ImageOriginTests {
    static let d = Fixture.digest

    static let cases: [(image: String, rules: Set<RuleID>)] = [
        ("registry.internal/ephi/app@\(d)", []),
        ("registry.internal/ephi/team/app:1.0@\(d)", []),
        ("registry.internal:5000/anything/app@\(d)", []),
        ("registry.internal/ephi/app:1.0", [.imageDigest]),
        ("registry.internal/ephi/app", [.imageDigest]),
        ("registry.internal/ephi/app@sha512:" + String(repeating: "b", count: 128), [.imageDigest]),
        // Look-alike hosts and paths: prefix matching stops at a path-segment boundary.
        ("registry.internal/ephi-evil/app@\(d)", [.registryOrigin]),
        ("registry.internal/ephiapp@\(d)", [.registryOrigin]),
        ("registry.internal.evil.io/ephi/app@\(d)", [.registryOrigin]),
        ("registry.internal:443/ephi/app@\(d)", [.registryOrigin]),
        ("localhost/ephi/app@\(d)", [.registryOrigin]),
        // No host: docker.io, with library/ for a single component.
        ("ephi/app@\(d)", [.registryOrigin]),
        ("app@\(d)", [.registryOrigin]),
        ("registry.internal@\(d)", [.registryOrigin]),
        ("index.docker.io/library/app@\(d)", [.registryOrigin]),
        // Not references at all: userinfo, path tricks, upper case, bad digests.
        ("registry.internal@evil.io/ephi/app", [.imageReference]),
        ("registry.internal/ephi/../pci/app@\(d)", [.imageReference]),
        ("registry.internal//ephi/app@\(d)", [.imageReference]),
        ("registry.internal/ephi/./app@\(d)", [.imageReference]),
        ("REGISTRY.INTERNAL/ephi/app@\(d)", [.imageReference]),
        ("registry.internal/EPHI/app@\(d)", [.imageReference]),
        ("Registry.internal/ephi/app@\(d)", [.imageReference]),
        ("registry.internal/ephi/app@sha256:" + String(repeating: "A", count: 64), [.imageReference]),
        ("registry.internal/ephi/app@sha256:abc", [.imageReference]),
        ("registry.internal/ephi/app@md5:" + String(repeating: "a", count: 32), [.imageReference]),
        ("registry.internal/ephi/app:", [.imageReference]),
        ("https://registry.internal/ephi/app@\(d)", [.imageReference]),
        (" registry.internal/ephi/app@\(d)", [.imageReference]),
        ("", [.imageReference]),
    ]

    @Test(arguments: cases)
    func imageInEveryContainerKind(image: String, rules: Set<RuleID>) throws {
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            var pod = Fixture.pod()
            pod.set("spec.\(list).0.name", "c")
            pod.set("spec.\(list).0.image", image)
            let decision = try Fixture.decide(pod)
            #expect(Set(decision.ruleIDs) == rules, "\(list): \(decision.violations.map(\.text))")
            #expect(decision.allowed == rules.isEmpty)
        }
    }

    static let normalised: [(image: String, repository: String)] = [
        ("nginx", "docker.io/library/nginx"),
        ("nginx:1.27", "docker.io/library/nginx"),
        ("pytorch/pytorch:2.3", "docker.io/pytorch/pytorch"),
        ("index.docker.io/pytorch/pytorch", "docker.io/pytorch/pytorch"),
        ("docker.io/nginx", "docker.io/library/nginx"),
        ("localhost/app", "localhost/app"),
        ("localhost:5000/app", "localhost:5000/app"),
        ("localhost:5000", "docker.io/library/localhost"),
        ("nvcr.io/nvidia/pytorch:24.05-py3", "nvcr.io/nvidia/pytorch"),
        ("[::1]:5000/app", "[::1]:5000/app"),
        ("registry.internal/a__b/c-d.e/f---g", "registry.internal/a__b/c-d.e/f---g"),
    ]

    @Test(arguments: normalised)
    func normalisesAsRuntimesDo(image: String, repository: String) throws {
        #expect(try ImageReference.parse(image).repository == repository)
    }

    @Test func sidecarImageIsChecked() throws {
        var pod = Fixture.pod()
        pod.set(
            "spec.initContainers.0", ["name": "shipper", "image": "fluent/fluent-bit:3.1", "restartPolicy": "Always"])
        let decision = try Fixture.decide(pod)
        #expect(Set(decision.ruleIDs) == [.registryOrigin, .imageDigest])
        #expect(decision.violations[0].message.contains("sidecar container \"shipper\""))
        #expect(decision.violations[0].path == "spec.initContainers[0].image")
    }

    @Test func denialNamesContainerFieldValueClassAndWhatIsAllowed() throws {
        var pod = Fixture.pod()
        pod.set("spec.containers.0.image", "docker.io/pytorch/pytorch@\(Self.d)")
        let message = try #require(try Fixture.decide(pod).violations.first).message
        for part in [
            "container \"main\"", "spec.containers[0].image", "docker.io/pytorch/pytorch", "class \"ephi\"",
            "registry.internal/ephi, registry.internal:5000",
        ] {
            #expect(message.contains(part), "\(message) lacks \(part)")
        }
    }

    @Test func everyImageIsListedInTheDecision() throws {
        var pod = Fixture.pod()
        pod.set("spec.initContainers.0", ["name": "init", "image": "registry.internal/ephi/init@\(Self.d)"])
        #expect(try Fixture.decide(pod).images == [Fixture.image, "registry.internal/ephi/init@\(Self.d)"])
    }
}
