import AdmissionAPI
import Foundation
import PortcullisCrypto
import Testing

@testable import Signatures

/// v0.3 bundles as signed since Rekor v2 (Tests/Support/signer/make_modern_fixtures.py): an inclusion proof against a
/// signed checkpoint and an RFC 3161 timestamp instead of a SignedEntryTimestamp, verified offline; and each way
/// the proof of inclusion or of time can be bent, denied with the reason.
@Suite struct KeylessRekorV2Tests {
    static let fixture = try! JSONDecoder().decode(
        KeylessLocalPKITests.Fixture.self, from: Data(FixtureData.bytes("keyless/modern/cases.json")))
    static let image = try! ImageReference.parse(fixture.image)
    static let root = try! TrustedRoot.load(
        trustedRootFile: FixtureData.root.appendingPathComponent("keyless/modern/trusted_root.json").path)

    static func candidate(_ name: String) -> SignatureCandidate {
        let blob = [UInt8](Data(base64Encoded: fixture.cases[name]!.blob)!)
        return SignatureCandidate(
            source: name, material: .sigstoreBundle(bundle: blob, layerDigest: "sha256:" + SHA256.hex(of: blob)))
    }

    static func check(_ name: String, proofOfTime: ProofOfTime = .any) -> SignatureCheck {
        let policy = KeylessPolicy(
            trustedRoot: root, subjects: [.exact(fixture.workflow)], issuer: KeylessLocalPKITests.github,
            proofOfTime: proofOfTime)
        let authority = Authority(
            name: "ci", keys: [], imagePatterns: [ImagePattern("registry.internal/**")], keyless: policy)
        return SignatureCheck.run(candidate(name), image: image, digest: fixture.digest, authority: authority)
    }

    static func reason(_ check: SignatureCheck) -> String {
        switch check.result {
        case .success: "verified"
        case .failure(let rejection): rejection.message
        }
    }

    @Test func aRekorV2BundleWithATimestampAndNoSETVerifiesOffline() throws {
        let check = Self.check("v2-tsa")
        let verified = try check.result.get()
        #expect(verified.signer?.subject == Self.fixture.workflow)
        #expect(check.steps.contains { $0.contains("inclusion proof of entry") && $0.contains("checkpoint") })
        #expect(check.steps.contains { $0.contains("RFC 3161 timestamp") && $0.contains("trusted TSA") })
        // The TSA's time is the signing time the certificate was checked at.
        let signedAt = try #require(verified.signer?.signingTime)
        #expect(abs(signedAt - Self.fixture.signedAt!) < 120)
    }

    @Test(arguments: ["v1-proof-tsa", "v1-proof-set"])
    func aRekorV1EntryWithAnInclusionProofVerifies(_ name: String) throws {
        let check = Self.check(name)
        #expect(Self.reason(check) == "verified")
        #expect(check.steps.contains { $0.contains("inclusion proof of entry") })
    }

    /// Each row: a bent bundle and the words its denial must contain.
    static let denials: [(String, String)] = [
        ("v2-no-timestamp", "proves no signing time"),
        ("v1-proof-no-timestamp", "proves no signing time"),
        ("v2-proof-for-another-leaf", "path leads to root"),
        ("v2-checkpoint-other-tree", "but the signed checkpoint is for"),
        ("v2-checkpoint-unknown-key", "has no signature by log"),
        ("v2-checkpoint-other-origin", "is for log2026-other.rekor.local, not log log2026-test.rekor.local"),
        ("v2-tsa-over-other-bytes", "message imprint mismatch"),
        ("v2-tsa-not-trusted", "does not verify with any timestamp authority in"),
        ("v2-tsa-before-certificate", "is outside the certificate's validity"),
        ("v2-body-other-digest", "the Rekor entry is for DSSE payload sha256:"),
        ("v2-body-other-certificate", "records a different certificate"),
    ]

    @Test(arguments: 0..<denials.count) func eachBentProofIsDeniedWithItsReason(_ index: Int) {
        let (name, expected) = Self.denials[index]
        let message = Self.reason(Self.check(name))
        #expect(message.contains(expected), "\(name): \(message)")
    }
}

extension KeylessRekorV2Tests {
    /// Public data: cosign's attestation bundle carries a SET *and* an inclusion proof against a
    /// `rekor.sigstore.dev - <tree id>` checkpoint; both are verified, with the public-good Rekor key.
    @Test func thePublicRekorV1BundleProvesItsInclusionAgainstItsCheckpoint() throws {
        let (result, steps) = KeylessPublicFixtureTests.bundleCheck(
            FixtureData.bytes("cosign-oci-attestation.sigstore.json"), policy: KeylessPublicFixtureTests.bundlePolicy)
        _ = try result.get()
        #expect(steps.contains { $0.contains("SignedEntryTimestamp verifies") })
        #expect(
            steps.contains {
                $0.contains("inclusion proof of entry 53604734 leads to the root of tree size 53604735")
                    && $0.contains("signed by log rekor.sigstore.dev")
            }, "\(steps)")
    }
}

extension KeylessRekorV2Tests {
    /// Each row: a bundle, what the authority requires, and "verified" or the words of the denial.
    static let requirements: [(String, ProofOfTime, String)] = [
        ("v2-tsa", .all([.timestamp, .inclusionProof]), "verified"),
        ("v2-tsa", .all([.signedEntryTimestamp]), "requires a SignedEntryTimestamp (SET)"),
        ("v1-proof-set", .all([.signedEntryTimestamp, .inclusionProof]), "verified"),
        ("v1-proof-set", .all([.timestamp]), "requires an RFC 3161 timestamp (tsa)"),
        ("v1-proof-tsa", .all([.timestamp]), "verified"),
    ]

    @Test(arguments: 0..<requirements.count) func anAuthorityRequiresTheProofsItNames(_ index: Int) {
        let (name, proofOfTime, expected) = Self.requirements[index]
        let message = Self.reason(Self.check(name, proofOfTime: proofOfTime))
        #expect(message.contains(expected), "\(name) with \(proofOfTime): \(message)")
    }

    /// A SET alone (every Rekor v1 bundle before inclusion proofs) does not satisfy `[inclusionProof]`.
    @Test func aSETOnlyBundleDoesNotSatisfyARequiredInclusionProof() {
        let policy = KeylessPolicy(
            trustedRoot: KeylessLocalPKITests.root, subjects: [KeylessLocalPKITests.mainBranch],
            issuer: KeylessLocalPKITests.github, proofOfTime: .all([.inclusionProof]))
        let authority = Authority(
            name: "ci", keys: [], imagePatterns: [ImagePattern("registry.internal/**")], keyless: policy)
        let check = SignatureCheck.run(
            KeylessLocalPKITests.candidate("bundle-workflow"), image: Self.image, digest: Self.fixture.digest,
            authority: authority)
        #expect(Self.reason(check).contains("authority ci requires an inclusion proof with a checkpoint"))
    }

    @Test func theRequiredProofsAreAPartOfTheCacheKey() {
        let any = KeylessPolicy(trustedRoot: Self.root, subjects: [.exact("s")], issuer: .exact("i"))
        let tsa = KeylessPolicy(
            trustedRoot: Self.root, subjects: [.exact("s")], issuer: .exact("i"), proofOfTime: .all([.timestamp]))
        #expect(any.description != tsa.description)
    }
}

extension KeylessRekorV2Tests {
    /// The v2-tsa bundle with one part of its JSON replaced, checked as the webhook would.
    static func bent(_ change: (inout [String: Any], inout [String: Any]) -> Void) -> SignatureCheck {
        let original = [UInt8](Data(base64Encoded: fixture.cases["v2-tsa"]!.blob)!)
        var root = try! JSONSerialization.jsonObject(with: Data(original)) as! [String: Any]
        var material = root["verificationMaterial"] as! [String: Any]
        var entry = (material["tlogEntries"] as! [[String: Any]])[0]
        change(&entry, &material)
        material["tlogEntries"] = [entry]
        root["verificationMaterial"] = material
        let bytes = [UInt8](try! JSONSerialization.data(withJSONObject: root))
        let policy = KeylessPolicy(
            trustedRoot: Self.root, subjects: [.exact(fixture.workflow)], issuer: KeylessLocalPKITests.github)
        let authority = Authority(
            name: "ci", keys: [], imagePatterns: [ImagePattern("registry.internal/**")], keyless: policy)
        let candidate = SignatureCandidate(
            source: "bent", material: .sigstoreBundle(bundle: bytes, layerDigest: "sha256:" + SHA256.hex(of: bytes)))
        return SignatureCheck.run(candidate, image: Self.image, digest: Self.fixture.digest, authority: authority)
    }

    static func proof(_ entry: inout [String: Any], _ key: String, _ value: Any) {
        var proof = entry["inclusionProof"] as! [String: Any]
        proof[key] = value
        entry["inclusionProof"] = proof
    }

    /// Each row: junk in one field, and the words of the denial; none may crash, hang or verify.
    static let junk: [(String, @Sendable (inout [String: Any], inout [String: Any]) -> Void, String)] = [
        ("hash not base64", { entry, _ in proof(&entry, "hashes", ["%%%"]) }, "has a hash that is not base64"),
        ("hash too short", { entry, _ in proof(&entry, "hashes", ["AAAA"]) }, "is not 32 bytes"),
        ("negative index", { entry, _ in proof(&entry, "logIndex", "-1") }, "inclusionProof lacks"),
        ("huge tree", { entry, _ in proof(&entry, "treeSize", "9223372036854775807") }, "fewer than a tree of"),
        ("checkpoint junk", { entry, _ in proof(&entry, "checkpoint", ["envelope": "junk"]) }, "no blank line"),
        ("proof not an object", { entry, _ in entry["inclusionProof"] = "yes" }, "inclusionProof lacks"),
        (
            "timestamp junk",
            { _, material in
                material["timestampVerificationData"] = ["rfc3161Timestamps": [["signedTimestamp": "AAAA"]]]
            }, "is not a DER RFC 3161 TimeStampResp"
        ),
        (
            "timestamp not base64",
            { _, material in material["timestampVerificationData"] = ["rfc3161Timestamps": [["signedTimestamp": 7]]] },
            "has no base64 signedTimestamp"
        ),
        ("integrated time junk", { entry, _ in entry["integratedTime"] = "soon" }, "integratedTime that is not"),
        (
            "body changed under its proof",
            { entry, _ in
                entry["canonicalizedBody"] = Data(#"{"apiVersion":"0.0.3","kind":"dsse","spec":{}}"#.utf8)
                    .base64EncodedString()
            }, "the inclusion proof path leads to root"
        ),
    ]

    @Test(arguments: 0..<junk.count) func junkInABundleIsDeniedWithAReason(_ index: Int) {
        let (name, change, expected) = Self.junk[index]
        let message = Self.reason(Self.bent(change))
        #expect(message.contains(expected), "\(name): \(message)")
    }
}

extension KeylessRekorV2Tests {
    @Test func aBodyOfAnUnknownKindOrVersionIsRefusedNamingIt() {
        let error = #expect(throws: PayloadError.self) {
            try RekorBody(json: Array(#"{"apiVersion":"0.0.3","kind":"dsse","spec":{}}"#.utf8))
        }
        #expect(error?.message.contains("of kind dsse 0.0.3; only hashedrekord and dsse 0.0.1") == true)
        let v2 = #expect(throws: PayloadError.self) {
            try RekorBody(json: Array(#"{"apiVersion":"0.0.2","kind":"dsse","spec":{"dsseV002":{}}}"#.utf8))
        }
        #expect(v2?.message.contains("lacks a SHA2_256 payloadHash") == true)
    }

    /// Rekor v2's hashedrekord names the blob by a base64 digest and the signer by a DER certificate.
    @Test func aHashedRekordV2BodyReadsAsTheSameFactsAsV1() throws {
        let digest = [UInt8](repeating: 0xAB, count: 32)
        let body = """
            {"apiVersion":"0.0.2","kind":"hashedrekord","spec":{"hashedRekordV002":{"data":{"algorithm":"SHA2_256",\
            "digest":"\(Data(digest).base64EncodedString())"},"signature":{"content":"AQID","verifier":\
            {"keyDetails":"PKIX_ECDSA_P256_SHA_256","x509Certificate":{"rawBytes":"BAUG"}}}}}}
            """
        guard case .hashedRekord(let hash, let signature, let certificate) = try RekorBody(json: Array(body.utf8))
        else {
            Issue.record("not a hashedrekord")
            return
        }
        #expect(hash == String(repeating: "ab", count: 32))
        #expect(signature == [1, 2, 3] && certificate == [4, 5, 6])
    }
}

extension KeylessRekorV2Tests {
    /// Public data (sigstore-conformance `rekor2-dsse-happy-path`, staging trusted root): a real Rekor v2 entry
    /// named by its checkpoint key ID, its `log2025-alpha1.rekor.sigstage.dev` checkpoint, and a timestamp by the
    /// staging TSA. Its statement is SLSA provenance for a file, so the keyless steps are checked on their own.
    static let conformanceRoot = try! TrustedRoot.load(
        trustedRootFile: FixtureData.root.appendingPathComponent("keyless/conformance/trusted_root.staging.json").path)
    static let beacon =
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/"
        + "extremely-dangerous-oidc-beacon.yml@refs/heads/main"

    static func conformance(_ text: String) -> (Result<KeylessSigner, PayloadError>, [String]) {
        KeylessPublicFixtureTests.bundleCheck(
            Array(text.utf8),
            policy: KeylessPolicy(
                trustedRoot: conformanceRoot, subjects: [.exact(beacon)], issuer: KeylessLocalPKITests.github,
                proofOfTime: .all([.timestamp, .inclusionProof])))
    }

    @Test func theConformanceSuitesRekorV2BundleVerifiesOffline() throws {
        let (result, steps) = Self.conformance(
            FixtureData.text("keyless/conformance/rekor2-dsse-happy-path.sigstore.json"))
        let signer = try result.get()
        #expect(signer.subject == Self.beacon)
        #expect(Certificate.iso8601(signer.signingTime) == "2025-07-25T19:53:04Z")
        #expect(
            steps.contains {
                $0.contains("inclusion proof of entry 7131 leads to the root of tree size 7132")
                    && $0.contains("log2025-alpha1.rekor.sigstage.dev")
            }, "\(steps)")
        #expect(steps.contains { $0.contains("by trusted TSA CN=sigstore-tsa-selfsigned,O=sigstore.dev") }, "\(steps)")
    }

    @Test(arguments: [
        ("\"treeSize\":\"7132\"", "\"treeSize\":\"7133\"", "fewer than a tree of 7133 entries needs"),
        ("\"logIndex\":\"7131\",\"rootHash\"", "\"logIndex\":\"7130\",\"rootHash\"", "path leads to root"),
        (
            "log2025-alpha1.rekor.sigstage.dev\\n7132", "log2025-alpha2.rekor.sigstage.dev\\n7132",
            "not log log2025-alpha1"
        ),
        ("8w1amZ2S5mJIQkQmPxdMuOrL", "AAAAmZ2S5mJIQkQmPxdMuOrL", "is not a trusted log"),
    ])
    func theConformanceBundleBentIsDenied(from: String, to: String, expected: String) {
        let original = FixtureData.text("keyless/conformance/rekor2-dsse-happy-path.sigstore.json")
        #expect(original.contains(from))
        let (result, _) = Self.conformance(original.replacingOccurrences(of: from, with: to))
        guard case .failure(let error) = result else {
            Issue.record("\(to) verified")
            return
        }
        #expect(error.message.contains(expected), "\(error.message)")
    }
}
