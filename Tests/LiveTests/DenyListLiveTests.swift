import Foundation
import Testing

/// Deny-lists through the real binary: `evaluate` gives examples/deny-lists.yaml its documented verdicts with the
/// shipped policy, and `serve` denies an allowed registry's nightly image, naming the rule and the fix.
@Suite("portcullis: deny-lists of registries, images and tags", .timeLimit(.minutes(1)))
struct DenyListLiveTests {
    @Test("evaluate gives examples/deny-lists.yaml its documented verdicts")
    func evaluate() throws {
        let example = repositoryRoot.appendingPathComponent("examples/deny-lists.yaml").path
        let result = try ChildProcess.run(
            try portcullisBinary(), ["evaluate", "--policy", LiveServer.policy, "--class", "public", "-f", example])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let verdicts = result.stdout.split(separator: "\n").filter { $0.hasPrefix("ALLOW") || $0.hasPrefix("DENY") }
            .map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(
            verdicts == [
                "ALLOW Pod research/notebook-1-4 class=public",
                "DENY Pod research/notebook-experimental class=public denied-registry",
                "DENY Pod research/notebook-untagged class=public denied-tag",
                "DENY Pod research/notebook-nightly class=public denied-tag",
            ], "\(result.stdout)")
        #expect(result.stdout.contains(#"has no tag or digest, so it is pulled as "latest""#), "\(result.stdout)")
    }

    @Test("serve denies an allowed registry's nightly image with denied-tag and the fix")
    func serve() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let review = ReviewEnvelope.review(
            uid: "deny-1", kind: "Pod", namespace: "research", name: "nb",
            object: ReviewEnvelope.pod(
                "nb", namespace: "research",
                spec: #"{"containers":[{"name":"nb","image":"ghcr.io/acme-ml/notebook:nightly"}]}"#))
        let message = try ReviewEnvelope.denial(server, certs, path: "/validate/public", review: review)
        #expect(message.contains(#"[denied-tag] Pod "nb": container "nb" (spec.containers[0].image)"#), "\(message)")
        #expect(message.contains("use a release tag, or pin by digest without a denied tag"), "\(message)")
    }
}
