import Testing

@testable import Signatures

@Suite struct SignatureEvaluationTests {
    let image = SignatureCheckTests.image
    let digest = SignatureCheckTests.digest

    func authority(_ name: String, _ keys: [String], pattern: String = "registry.internal/**") throws -> Authority {
        Authority(name: name, keys: try keys.map(FixtureData.signerKey), imagePatterns: [ImagePattern(pattern)])
    }

    func candidates(_ names: String...) -> [SignatureCandidate] {
        names.map { FixtureData.signer.cases[$0]!.candidate() }
    }

    @Test func oneOfSeveralAuthoritiesIsEnoughUnlessAllAreRequired() throws {
        let authorities = [try authority("release", ["p256"]), try authority("security", ["ed25519"])]
        let any = SignatureEvaluation(
            candidates: candidates("simple-p256"), image: image, digest: digest, authorities: authorities,
            requireAll: false)
        #expect(try any.result.get().map(\.authority) == ["release"])
        let all = SignatureEvaluation(
            candidates: candidates("simple-p256"), image: image, digest: digest, authorities: authorities,
            requireAll: true)
        guard case .failure(let failure) = all.result else { Issue.record("must fail"); return }
        #expect(failure.reason == .invalid)
        #expect(failure.message.contains("none by security verified"))
        let both = SignatureEvaluation(
            candidates: candidates("simple-p256", "bundle-ed25519"), image: image, digest: digest,
            authorities: authorities, requireAll: true)
        #expect(try both.result.get().map(\.authority).sorted() == ["release", "security"])
    }

    @Test func noSignatureIsUnsigned() throws {
        let evaluation = SignatureEvaluation(
            candidates: [], image: image, digest: digest, authorities: [try authority("release", ["p256"])],
            requireAll: false)
        guard case .failure(let failure) = evaluation.result else { Issue.record("must fail"); return }
        #expect(failure.reason == .unsigned)
        #expect(failure.registry == "registry.internal")
    }

    @Test func authorityNotCoveringTheImageDoesNotCount() throws {
        let evaluation = SignatureEvaluation(
            candidates: candidates("simple-p256"), image: image, digest: digest,
            authorities: [try authority("other-team", ["p256"], pattern: "registry.internal/web/*")], requireAll: false)
        guard case .failure(let failure) = evaluation.result else { Issue.record("must fail"); return }
        #expect(failure.reason == .unsigned)
        #expect(failure.message.contains("no accepted authority (other-team) covers registry.internal/ml/trainer"))
    }

    @Test func wrongSignaturesAreInvalidAndSayWhy() throws {
        let evaluation = SignatureEvaluation(
            candidates: candidates("simple-other-digest", "simple-ed25519"), image: image, digest: digest,
            authorities: [try authority("release", ["p256"])], requireAll: false)
        guard case .failure(let failure) = evaluation.result else { Issue.record("must fail"); return }
        #expect(failure.reason == .invalid)
        #expect(failure.message.contains("is for digest sha256:cdcd"))
        #expect(failure.message.contains("does not verify with any key"))
        #expect(evaluation.checks.count == 2)
    }
}
