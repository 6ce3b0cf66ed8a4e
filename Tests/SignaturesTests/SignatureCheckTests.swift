import AdmissionAPI
import Foundation
import PortcullisCrypto
import Testing

@testable import Signatures

/// Signatures made by others (containers/image, cosign) and by the independent Python signer, and each single
/// change an attacker or a broken pipeline could make to them.
@Suite struct SignatureCheckTests {
    static let image = try! ImageReference.parse(FixtureData.signer.image)
    static let digest = FixtureData.signer.digest

    static func authority(_ keys: [String], identity: IdentityRule = .matchRepository) throws -> Authority {
        Authority(
            name: "release", keys: try keys.map(FixtureData.signerKey),
            imagePatterns: [ImagePattern("registry.internal/**")],
            identity: identity)
    }

    static func check(_ caseName: String, keys: [String]? = nil, identity: IdentityRule = .matchRepository)
        throws -> SignatureCheck
    {
        let fixture = FixtureData.signer.cases[caseName]!
        return SignatureCheck.run(
            fixture.candidate(), image: image, digest: digest,
            authority: try authority(keys ?? [fixture.key], identity: identity))
    }

    // MARK: public known-good data

    @Test func verifiesContainersImageCosignSignature() throws {
        let image = try ImageReference.parse("192.168.64.2:5000/test-repo-2100826901021538654/alpine")
        let payload = FixtureData.bytes("containers-image-rekor-payload.json")
        let candidate = SignatureCandidate(
            source: "containers/image rekor-payload",
            material: .simpleSigning(
                payload: payload, layerDigest: "sha256:" + SHA256.hex(of: payload),
                signature: FixtureData.text("containers-image-rekor-sig.b64")))
        let digest = "sha256:fa93b01658e3a5a1686dc3ae55f170d8de487006fb53a28efcd12ab0710a2e5f"
        func authority(_ key: String) throws -> Authority {
            Authority(name: "upstream", keys: [try FixtureData.key(key)], imagePatterns: [ImagePattern("**")])
        }
        let good = SignatureCheck.run(
            candidate, image: image, digest: digest, authority: try authority("containers-image-fulcio-cert-key.pub"))
        #expect(try good.result.get().annotations == [:])
        let wrongKey = SignatureCheck.run(
            candidate, image: image, digest: digest, authority: try authority("containers-image-cosign.pub"))
        #expect(throws: SignatureCheck.Rejection.self) { try wrongKey.result.get() }
    }

    @Test func verifiesCosignBundleDSSEEnvelopeAndSubject() throws {
        let bundle = FixtureData.bytes("cosign-oci-attestation.sigstore.json")
        let envelope = try DSSEEnvelope(bundle: bundle)
        let key = try FixtureData.key("cosign-oci-attestation-cert-key.pub")
        #expect(envelope.signatures.contains { key.isValidSignature($0, for: envelope.preAuthenticationEncoding) })
        #expect(!envelope.signatures.contains { key.isValidSignature($0, for: envelope.payload) })
        let statement = try InTotoStatement(json: envelope.payload)
        #expect(
            statement.subject(for: "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4") != nil)
    }

    @Test func refusesAnAttestationBundleAsAnImageSignature() throws {
        let bundle = FixtureData.bytes("cosign-oci-attestation.sigstore.json")
        let check = SignatureCheck.run(
            SignatureCandidate(
                source: "cosign bundle",
                material: .sigstoreBundle(bundle: bundle, layerDigest: "sha256:" + SHA256.hex(of: bundle))),
            image: try ImageReference.parse("127.0.0.1:60943/repo"),
            digest: "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4",
            authority: Authority(
                name: "upstream", keys: [try FixtureData.key("cosign-oci-attestation-cert-key.pub")],
                imagePatterns: [ImagePattern("**")]))
        #expect(rejection(check).contains("predicateType"))
        #expect(check.steps.contains { $0.hasPrefix("ok   signature verifies") })
    }

    // MARK: signer-made signatures

    @Test(arguments: ["simple-p256", "simple-p384", "simple-rsa", "simple-ed25519", "bundle-p256", "bundle-ed25519"])
    func verifiesEachKeyTypeAndFormat(caseName: String) throws {
        let verified = try Self.check(caseName).result.get()
        #expect(verified.digest == Self.digest)
        #expect(
            verified.keyFingerprint == (try FixtureData.signerKey(FixtureData.signer.cases[caseName]!.key)).fingerprint)
        #expect(verified.format == (caseName.hasPrefix("bundle") ? .sigstoreBundle : .simpleSigning))
    }

    @Test func returnsSignedAnnotations() throws {
        #expect(
            try Self.check("simple-annotated").result.get().annotations
                == ["approved-for": "ephi,internal", "expires": "2030-01-01T00:00:00Z", "build": "42"])
        #expect(try Self.check("bundle-p256").result.get().annotations == ["approved-for": "ephi"])
    }

    @Test func keyRotationAcceptsEitherKey() throws {
        #expect(throws: Never.self) { try Self.check("simple-p256", keys: ["p256-next", "p256"]).result.get() }
        #expect(throws: Never.self) { try Self.check("simple-next-key", keys: ["p256", "p256-next"]).result.get() }
    }

    /// Each row: a signed case, the keys trusted, and the words the rejection must contain.
    @Test(
        arguments: [
            ("simple-p256", ["p384"], "does not verify with any key"),
            ("simple-next-key", ["p256"], "does not verify with any key"),
            ("simple-other-digest", nil, "is for digest sha256:cdcd"),
            ("simple-other-repository", nil, "registry.internal/ml/other, expected registry.internal/ml/trainer"),
            ("simple-wrong-type", nil, "critical.type"),
            ("bundle-other-digest", nil, "do not include"),
            ("bundle-attestation", nil, "predicateType"),
            ("bundle-p256", ["ed25519"], "does not verify with any key"),
        ] as [(String, [String]?, String)])
    func rejectsWithTheReason(caseName: String, keys: [String]?, expected: String) throws {
        #expect(rejection(try Self.check(caseName, keys: keys)).contains(expected))
    }

    @Test func identityRuleRemapAcceptsTheIntakeRepositoryOnly() throws {
        let remap = IdentityRule.remap(imagePrefix: "registry.internal/ml", signedPrefix: "intake.example/team")
        #expect(throws: Never.self) { try Self.check("simple-intake-repository", identity: remap).result.get() }
        #expect(rejection(try Self.check("simple-intake-repository")).contains("intake.example/team/trainer"))
        #expect(
            rejection(try Self.check("simple-p256", identity: remap)).contains("expected intake.example/team/trainer"))
        #expect(throws: Never.self) { try Self.check("simple-other-repository", identity: .any).result.get() }
    }

    // MARK: tampering without re-signing

    @Test(arguments: ["simple-p256", "bundle-p256"])
    func oneChangedByteBreaksTheSignature(caseName: String) throws {
        let fixture = FixtureData.signer.cases[caseName]!
        var blob = fixture.blob
        // Change a digit of the digest inside the signed JSON (base64-encoded inside the bundle).
        let index = caseName.hasPrefix("bundle") ? blob.count / 2 : blob.firstIndex(of: UInt8(ascii: "b"))!
        blob[index] = blob[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let check = SignatureCheck.run(
            fixture.candidate(blob: blob), image: Self.image, digest: Self.digest,
            authority: try Self.authority([fixture.key]))
        #expect(throws: SignatureCheck.Rejection.self) { try check.result.get() }
    }

    @Test func reserialisedPayloadNoLongerVerifies() throws {
        let fixture = FixtureData.signer.cases["simple-p256"]!
        let object = try JSONSerialization.jsonObject(with: Data(fixture.blob))
        let pretty = [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]))
        let check = SignatureCheck.run(
            fixture.candidate(blob: pretty), image: Self.image, digest: Self.digest,
            authority: try Self.authority(["p256"]))
        #expect(rejection(check).contains("does not verify"))
    }

    @Test(arguments: ["simple-p256", "bundle-p256"])
    func layerDigestMismatchIsRejectedBeforeTheSignature(caseName: String) throws {
        let fixture = FixtureData.signer.cases[caseName]!
        let check = SignatureCheck.run(
            fixture.candidate(layerDigest: "sha256:" + String(repeating: "0", count: 64)), image: Self.image,
            digest: Self.digest, authority: try Self.authority([fixture.key]))
        #expect(rejection(check).contains("but the manifest names sha256:0000"))
        #expect(check.steps.count == 1)
    }

    @Test func signatureAnnotationMustBeBase64() throws {
        let fixture = FixtureData.signer.cases["simple-p256"]!
        let check = SignatureCheck.run(
            fixture.candidate(signature: "!!!"), image: Self.image, digest: Self.digest,
            authority: try Self.authority(["p256"]))
        #expect(rejection(check).contains("not base64"))
    }

    @Test func base64WithLineBreaksIsAccepted() throws {
        let fixture = FixtureData.signer.cases["simple-p256"]!
        var wrapped = fixture.signature!
        wrapped.insert(contentsOf: "\n", at: wrapped.index(wrapped.startIndex, offsetBy: 20))
        let check = SignatureCheck.run(
            fixture.candidate(signature: wrapped), image: Self.image, digest: Self.digest,
            authority: try Self.authority(["p256"]))
        #expect(throws: Never.self) { try check.result.get() }
    }

    @Test(arguments: [Array("".utf8), Array("[]".utf8), Array("{\"critical\":{}}".utf8), [0xff, 0xfe]])
    func malformedBundlesAreRejectedNotCrashed(blob: [UInt8]) throws {
        let candidate = SignatureCandidate(
            source: "junk", material: .sigstoreBundle(bundle: blob, layerDigest: "sha256:" + SHA256.hex(of: blob)))
        let check = SignatureCheck.run(
            candidate, image: Self.image, digest: Self.digest, authority: try Self.authority(["p256"]))
        #expect(throws: SignatureCheck.Rejection.self) { try check.result.get() }
    }
}

func rejection(_ check: SignatureCheck) -> String {
    guard case .failure(let rejection) = check.result else { return "verified" }
    return rejection.message
}
