import AdmissionAPI
import Testing

@testable import Signatures

@Suite struct ReferenceTests {
    @Test(
        arguments: [
            ("nginx", "docker.io/library/nginx", nil, nil),
            ("docker.io/nginx:1.25", "docker.io/library/nginx", "1.25", nil),
            ("index.docker.io/library/nginx", "docker.io/library/nginx", nil, nil),
            ("bitnami/redis:7", "docker.io/bitnami/redis", "7", nil),
            ("localhost/app", "localhost/app", nil, nil),
            (
                "registry.internal:5000/ml/trainer:v1@sha256:" + String(repeating: "ab", count: 32),
                "registry.internal:5000/ml/trainer", "v1", "sha256:" + String(repeating: "ab", count: 32)
            ),
        ] as [(String, String, String?, String?)])
    func normalises(input: String, name: String, tag: String?, digest: String?) throws {
        let reference = try ImageReference.parse(input)
        #expect(reference.repository == name)
        #expect(reference.tag == tag)
        #expect(reference.digest == digest)
    }

    @Test(arguments: [
        "", "registry.internal/", "registry.internal/ML/trainer", "Registry.Internal:5000/ml/trainer", "app@sha256:abc",
        "app@md5:" + String(repeating: "a", count: 32),
        "app:-bad", "app:" + String(repeating: "t", count: 129), "a//b",
        "app@sha256:" + String(repeating: "AB", count: 32),
    ])
    func refusesMalformedReferences(input: String) {
        #expect(throws: ImageReference.ParseError.self) { try ImageReference.parse(input) }
    }

    @Test(arguments: [
        ("registry.internal/ml/*", "registry.internal/ml/trainer", true),
        ("registry.internal/ml/*", "registry.internal/ml/team/trainer", false),
        ("registry.internal/**", "registry.internal/ml/team/trainer", true),
        ("registry.internal/**", "registry.internal.evil.com/ml/trainer", false),
        ("registry.internal/ml/train?r", "registry.internal/ml/trainer", true),
        ("*/ml/trainer", "registry.internal/ml/trainer", true),
        ("registry.internal/ml/trainer", "registry.internal/ml/trainer2", false),
    ])
    func patternsMatchNormalisedNames(pattern: String, name: String, matches: Bool) {
        #expect(ImagePattern(pattern).matches(name) == matches)
    }

    @Test func remapMatchesOnWholePathComponents() throws {
        let rule = IdentityRule.remap(imagePrefix: "registry.internal/ml", signedPrefix: "intake.example")
        let image = try ImageReference.parse("registry.internal/ml/trainer")
        #expect(rule.problem(signedReference: "intake.example/trainer", image: image) == nil)
        #expect(rule.problem(signedReference: "intake.example/trainer:v1", image: image) == nil)
        let lookalike = try ImageReference.parse("registry.internal/mlx/trainer")
        #expect(rule.problem(signedReference: "intake.example/x/trainer", image: lookalike) != nil)
    }
}
