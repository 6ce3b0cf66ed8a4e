import AdmissionAPI
import Foundation
import PortcullisCrypto
import Testing

@testable import Signatures

/// Keyless signatures from a local Fulcio/Rekor stand-in (Tests/Support/signer/make_keyless_fixtures.py): identity rules,
/// issuer extensions, expiry and trust failures, through the same `SignatureCheck` the webhook uses.
@Suite struct KeylessLocalPKITests {
    /// `cases.json` as the Python signer writes it.
    struct Fixture: Decodable {
        struct Case: Decodable {
            let format: String
            let blob: String
            let signature: String?
            let annotations: [String: String]?
        }
        let image: String
        let digest: String
        let workflow: String
        /// When the modern cases were stamped (UNIX seconds); absent for the SET-only local cases.
        let signedAt: Int?
        let cases: [String: Case]
    }

    static let fixture = try! JSONDecoder().decode(
        Fixture.self, from: Data(FixtureData.bytes("keyless/local/cases.json")))
    static let image = try! ImageReference.parse(fixture.image)
    static let digest = fixture.digest
    static let workflow = fixture.workflow
    static let root = try! TrustedRoot.load(
        trustedRootFile: FixtureData.root.appendingPathComponent("keyless/local/trusted_root.json").path)
    static let github = IdentityMatcher.exact("https://token.actions.githubusercontent.com")
    static let mainBranch = try! IdentityMatcher.regex(
        #"https://github\.com/corp/trainer/\.github/workflows/[^/]+@refs/heads/main"#)

    static func candidate(_ name: String) -> SignatureCandidate {
        let entry = fixture.cases[name]!
        let blob = [UInt8](Data(base64Encoded: entry.blob)!)
        let digest = "sha256:" + SHA256.hex(of: blob)
        if entry.format == "bundle" {
            return SignatureCandidate(source: name, material: .sigstoreBundle(bundle: blob, layerDigest: digest))
        }
        return SignatureCandidate(
            source: name, material: .simpleSigning(payload: blob, layerDigest: digest, signature: entry.signature!),
            annotations: entry.annotations ?? [:])
    }

    static func check(_ name: String, subjects: [IdentityMatcher] = [mainBranch], issuer: IdentityMatcher = github)
        -> SignatureCheck
    {
        let policy = KeylessPolicy(trustedRoot: root, subjects: subjects, issuer: issuer)
        let authority = Authority(
            name: "ci", keys: [], imagePatterns: [ImagePattern("registry.internal/**")], keyless: policy)
        return SignatureCheck.run(candidate(name), image: image, digest: digest, authority: authority)
    }

    @Test(arguments: ["legacy-workflow", "bundle-workflow"])
    func workflowIdentityOnMainVerifies(_ name: String) throws {
        let verified = try Self.check(name).result.get()
        #expect(verified.signer?.subject == Self.workflow)
        #expect(verified.signer?.issuer == "https://token.actions.githubusercontent.com")
        #expect(verified.digest == Self.digest)
    }

    @Test func emailIdentityWithEitherIssuerExtensionVerifies() throws {
        let google = IdentityMatcher.exact("https://accounts.google.com")
        for name in ["legacy-email", "legacy-deprecated-issuer-only"] {
            let verified = try Self.check(name, subjects: [.exact("release@corp.example")], issuer: google).result.get()
            #expect(verified.signer?.subject == "release@corp.example", "\(name)")
        }
    }

    static let failures: [(String, String)] = [
        (
            "legacy-feature-branch",
            "signed by https://github.com/corp/trainer/.github/workflows/release.yml@refs/heads/feature"
        ),
        ("legacy-workflow-after-expiry", "is outside the certificate's validity"),
        ("legacy-issuers-disagree", "names two issuers"),
        ("legacy-no-code-signing", "lacks the code-signing extended key usage"),
        ("legacy-untrusted-ca", "does not chain to a trusted Fulcio root"),
        ("legacy-no-issuer", "no OIDC issuer extension"),
        ("legacy-unknown-log", "is not a trusted log"),
    ]

    @Test(arguments: 0..<failures.count) func failsClosedWithTheReason(_ index: Int) {
        let (name, expected) = Self.failures[index]
        let check = Self.check(name)
        guard case .failure(let rejection) = check.result else {
            Issue.record("\(name) verified")
            return
        }
        #expect(rejection.message.contains(expected), "\(name): \(rejection.message)")
    }

    @Test func aWrongIdentityIsInvalidWithFoundAndExpected() {
        let evaluation = SignatureEvaluation(
            candidates: [Self.candidate("legacy-feature-branch")], image: Self.image, digest: Self.digest,
            authorities: [
                Authority(
                    name: "ci", keys: [], imagePatterns: [ImagePattern("registry.internal/**")],
                    keyless: KeylessPolicy(trustedRoot: Self.root, subjects: [Self.mainBranch], issuer: Self.github))
            ],
            requireAll: false)
        guard case .failure(let failure) = evaluation.result else {
            Issue.record("verified")
            return
        }
        #expect(failure.reason == .invalid)
        #expect(failure.message.contains("refs/heads/feature"))
        #expect(failure.message.contains("accepts /https://github"))
    }

    @Test func aKeyBasedAuthorityDoesNotAcceptTheCertificateKeyAlone() throws {
        let authority = Authority(
            name: "keys", keys: [try FixtureData.signerKey("p256")], imagePatterns: [ImagePattern("**")])
        let check = SignatureCheck.run(
            Self.candidate("legacy-workflow"), image: Self.image, digest: Self.digest, authority: authority)
        #expect(throws: SignatureCheck.Rejection.self) { try check.result.get() }
    }
}
