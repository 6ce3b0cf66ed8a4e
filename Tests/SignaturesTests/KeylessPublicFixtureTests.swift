import AdmissionAPI
import Foundation
import PortcullisCrypto
import Testing

@testable import Signatures

/// Keyless signatures made by the public sigstore instance (containers/image and cosign test data), verified offline
/// against sigstore's published trusted root, and each single change an attacker could make to them.
@Suite struct KeylessPublicFixtureTests {
    static let image = try! ImageReference.parse("192.168.64.2:5000/test-repo-2100826901021538654/alpine")
    static let digest = "sha256:fa93b01658e3a5a1686dc3ae55f170d8de487006fb53a28efcd12ab0710a2e5f"
    static let payload = FixtureData.bytes("containers-image-rekor-payload.json")
    static let trustedRoot = try! TrustedRoot.load(
        trustedRootFile: FixtureData.root.appendingPathComponent("keyless/sigstore-public-good-trusted_root.json").path)

    /// The `.sig` layer annotations cosign wrote for the containers/image signature.
    static var annotations: [String: String] {
        [
            KeylessMaterial.certificateAnnotation: FixtureData.text("keyless/containers-image-fulcio-cert.pem"),
            KeylessMaterial.chainAnnotation: FixtureData.text("keyless/containers-image-fulcio-chain.pem"),
            KeylessMaterial.bundleAnnotation: FixtureData.text("keyless/containers-image-rekor-set.json"),
        ]
    }

    static func policy(
        subjects: [IdentityMatcher] = [.exact("mitr@redhat.com")],
        issuer: IdentityMatcher = .exact("https://github.com/login/oauth"), root: TrustedRoot = trustedRoot
    ) -> KeylessPolicy {
        KeylessPolicy(trustedRoot: root, subjects: subjects, issuer: issuer)
    }

    static func check(
        annotations: [String: String] = annotations, payload: [UInt8] = payload, policy: KeylessPolicy = policy()
    ) -> SignatureCheck {
        let candidate = SignatureCandidate(
            source: "containers/image fulcio signature",
            material: .simpleSigning(
                payload: payload, layerDigest: "sha256:" + SHA256.hex(of: payload),
                signature: FixtureData.text("containers-image-rekor-sig.b64")),
            annotations: annotations)
        let authority = Authority(name: "ci", keys: [], imagePatterns: [ImagePattern("**")], keyless: policy)
        return SignatureCheck.run(candidate, image: image, digest: digest, authority: authority)
    }

    static func failure(_ check: SignatureCheck) -> String? {
        guard case .failure(let rejection) = check.result else { return nil }
        return rejection.message
    }

    /// Rewrites one field of the Rekor bundle annotation's JSON.
    static func rekorBundle(_ edit: (inout [String: Any], inout [String: Any]) -> Void) -> [String: String] {
        var root =
            try! JSONSerialization.jsonObject(with: Data(FixtureData.bytes("keyless/containers-image-rekor-set.json")))
            as! [String: Any]
        var payload = root["Payload"] as! [String: Any]
        edit(&root, &payload)
        root["Payload"] = payload
        var result = annotations
        result[KeylessMaterial.bundleAnnotation] = String(
            decoding: try! JSONSerialization.data(withJSONObject: root), as: UTF8.self)
        return result
    }

    @Test func legacySignatureVerifiesOfflineAgainstTheTrustedRoot() throws {
        let check = Self.check()
        let verified = try check.result.get()
        #expect(verified.signer?.subject == "mitr@redhat.com")
        #expect(verified.signer?.issuer == "https://github.com/login/oauth")
        #expect(verified.signer?.logIndex == 8_949_589)
        #expect(check.steps.contains { $0.contains("SignedEntryTimestamp verifies") })
        #expect(check.steps.contains { $0.contains("chains to trusted Fulcio root CN=sigstore,O=sigstore.dev") })
        #expect(check.steps.allSatisfy { $0.hasPrefix("ok") })
    }

    @Test func explicitPEMFilesWorkLikeTheTrustedRoot() throws {
        let root = try TrustedRoot.load(
            fulcioChainFile: FixtureData.root.appendingPathComponent("keyless/containers-image-fulcio-chain.pem").path,
            rekorKeyFiles: [FixtureData.root.appendingPathComponent("keyless/sigstore-rekor.pub").path])
        #expect(
            root.transparencyLogs.first?.logID == "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d")
        _ = try Self.check(policy: Self.policy(root: root)).result.get()
    }

    @Test func identityPatternsAreAnchored() throws {
        _ = try Self.check(policy: Self.policy(subjects: [try .regex(#".*@redhat\.com"#)])).result.get()
        let partial = Self.failure(Self.check(policy: Self.policy(subjects: [try .regex("redhat")])))
        #expect(partial?.contains("signed by mitr@redhat.com (issuer https://github.com/login/oauth)") == true)
        #expect(throws: IdentityMatcher.PatternError.self) { try IdentityMatcher.regex("([") }
    }

    /// Each tampering, and the words the failure must contain.
    static let tamperings: [(String, [String: String], [UInt8], KeylessPolicy, String)] = [
        (
            "SET",
            rekorBundle { root, _ in
                var set = [UInt8](Data(base64Encoded: root["SignedEntryTimestamp"] as! String)!)
                set[20] ^= 1
                root["SignedEntryTimestamp"] = Data(set).base64EncodedString()
            }, payload, policy(), "SignedEntryTimestamp of Rekor entry 8949589 does not verify"
        ),
        (
            "SET not base64", rekorBundle { root, _ in root["SignedEntryTimestamp"] = "not base64!" }, payload,
            policy(),
            "SignedEntryTimestamp is not base64"
        ),
        (
            "integrated time", rekorBundle { _, payload in payload["integratedTime"] = 1_670_870_900 }, payload,
            policy(),
            "does not verify"
        ),
        (
            "log index", rekorBundle { _, payload in payload["logIndex"] = 8_949_590 }, payload, policy(),
            "does not verify"
        ),
        (
            "log ID", rekorBundle { _, payload in payload["logID"] = String(repeating: "ab", count: 32) }, payload,
            policy(),
            "Rekor log ID abab"
        ),
        (
            "no inclusion promise", rekorBundle { root, _ in root["SignedEntryTimestamp"] = nil }, payload, policy(),
            "no inclusion promise"
        ),
        (
            "body hash (other payload)", annotations, Array(#"{"critical":{}}"#.utf8), policy(),
            "the Rekor entry is for content sha256:0fd1e983"
        ),
        (
            "certificate swapped",
            annotations.merging([KeylessMaterial.certificateAnnotation: otherCertificatePEM]) { $1 },
            payload, policy(), "records a different certificate"
        ),
        (
            "no Rekor bundle", annotations.filter { $0.key != KeylessMaterial.bundleAnnotation }, payload, policy(),
            "carries no Rekor entry"
        ),
        (
            "identity", annotations, payload, policy(subjects: [.exact("release@corp.example")]),
            "signed by mitr@redhat.com (issuer https://github.com/login/oauth), but authority ci accepts \"release@corp.example\""
        ),
        (
            "issuer", annotations, payload, policy(issuer: .exact("https://token.actions.githubusercontent.com")),
            "accepts \"mitr@redhat.com\" (issuer \"https://token.actions.githubusercontent.com\")"
        ),
        (
            "untrusted root", annotations, payload, policy(root: rootWithOnlyTheRetiredCA),
            "does not chain to a trusted Fulcio root"
        ),
        ("CA not valid then", annotations, payload, policy(root: rootValidFrom2023), "no Fulcio CA"),
    ]

    @Test(arguments: 0..<tamperings.count) func eachTamperingFailsWithItsReason(_ index: Int) {
        let (name, annotations, payload, policy, expected) = Self.tamperings[index]
        let check = Self.check(annotations: annotations, payload: payload, policy: policy)
        let message = Self.failure(check)
        #expect(message?.contains(expected) == true, "\(name): \(message ?? "verified")")
        #expect(check.steps.last?.hasPrefix("FAIL") == true, "\(name)")
    }

    /// The 2021 Fulcio root alone: real, but not the one that issued this 2022 certificate.
    static let rootWithOnlyTheRetiredCA = TrustedRoot(
        certificateAuthorities: [trustedRoot.certificateAuthorities[0]], transparencyLogs: trustedRoot.transparencyLogs,
        source: "retired-ca-only")

    static let rootValidFrom2023 = TrustedRoot(
        certificateAuthorities: trustedRoot.certificateAuthorities.map {
            .init(certificates: $0.certificates, validFrom: 1_672_531_200, validUntil: nil)
        }, transparencyLogs: trustedRoot.transparencyLogs, source: "ca-from-2023")

    /// A different genuine Fulcio certificate (the cosign bundle's), as PEM.
    static var otherCertificatePEM: String {
        let bundle =
            try! JSONSerialization.jsonObject(with: Data(FixtureData.bytes("cosign-oci-attestation.sigstore.json")))
            as! [String: Any]
        let raw =
            ((bundle["verificationMaterial"] as! [String: Any])["certificate"] as! [String: Any])["rawBytes"] as! String
        let body = Data(base64Encoded: raw)!.base64EncodedString(options: [
            .lineLength64Characters, .endLineWithLineFeed,
        ])
        return "-----BEGIN CERTIFICATE-----\n\(body)\n-----END CERTIFICATE-----\n"
    }

    // MARK: sigstore bundle v0.3 (cosign attest, DSSE entry)

    static func bundleCheck(_ bytes: [UInt8], policy: KeylessPolicy) -> (Result<KeylessSigner, PayloadError>, [String])
    {
        let candidate = SignatureCandidate(
            source: "cosign bundle",
            material: .sigstoreBundle(bundle: bytes, layerDigest: "sha256:" + SHA256.hex(of: bytes)))
        var steps: [String] = []
        let envelope = try! DSSEEnvelope(bundle: bytes)
        let result = Result { () throws(PayloadError) -> KeylessSigner in
            try KeylessVerification.run(
                candidate, envelope: envelope, signatures: envelope.signatures, policy: policy, authority: "ci",
                steps: &steps)
        }
        return (result, steps)
    }

    static let bundlePolicy = policy(subjects: [.exact("cody@soyland.com")])

    @Test func bundleVerifiesOfflineWithItsInclusionPromise() throws {
        let (result, steps) = Self.bundleCheck(
            FixtureData.bytes("cosign-oci-attestation.sigstore.json"), policy: Self.bundlePolicy)
        let signer = try result.get()
        #expect(signer.subject == "cody@soyland.com")
        #expect(signer.logIndex == 175_508_996)
        #expect(steps.contains { $0.contains("Rekor entry body matches") })
    }

    @Test func bundleTamperingFails() throws {
        let original = FixtureData.text("cosign-oci-attestation.sigstore.json")
        let set = "MEUCIQDIgcWm5sXPh52rA/3BLyvfymD4RLEze5cx0WrDCF7tXAIgDtDq9wgYo8Z6RQ/LIaMRY/clocjCbX1qZTI9EVrGb"
        let cases: [(String, String, String)] = [
            ("\"integratedTime\":\"1740770291\"", "\"integratedTime\":\"1740770292\"", "does not verify"),
            (
                "\"signedEntryTimestamp\":\"\(set)zQ=\"", "\"signedEntryTimestamp\":\"\(set)zM=\"",
                "does not verify"
            ),
            (
                "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=", "AAAAatQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=",
                "is not a trusted log"
            ),
            (
                ",\"inclusionPromise\":{\"signedEntryTimestamp\":\"\(set)zQ=\"}",
                "", "no inclusion promise"
            ),
        ]
        for (from, to, expected) in cases {
            #expect(original.contains(from))
            let (result, _) = Self.bundleCheck(
                Array(original.replacingOccurrences(of: from, with: to).utf8), policy: Self.bundlePolicy)
            guard case .failure(let error) = result else {
                Issue.record("\(to) verified")
                continue
            }
            #expect(error.message.contains(expected), "\(error.message)")
        }
        let (wrong, _) = Self.bundleCheck(
            FixtureData.bytes("cosign-oci-attestation.sigstore.json"), policy: Self.policy())
        #expect(throws: PayloadError.self) { try wrong.get() }
    }
}
