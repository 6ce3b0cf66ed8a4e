import AdmissionAPI
import Foundation
import Testing

@testable import Policy

/// The signature sections of a policy, and the pure promotion-metadata check over normalised evidence.
@Suite struct SignaturePolicyTests {
    static let trust = """
        apiVersion: portcullis.dev/v1
        kind: Policy
        authorities:
          release:
            keys: [/etc/portcullis/keys/release.pem, /etc/portcullis/keys/release-next.pem]
            images: ["registry.internal/ephi/**"]
          intake:
            keys: [/etc/portcullis/keys/intake.pem]
            images: ["registry.internal/**"]
            identity: {remap: {from: registry.internal/ephi, to: intake.example/ml}}
        registries:
          "registry.internal":
            ca: /etc/portcullis/registry-ca.pem
          "localhost:5000":
            insecure: true
        registryCredentials: /etc/portcullis/docker/config.json
        signatureCache: {ttl: 10m, failureTTL: 30s, size: 100}
        classes:
          ephi:
            registries: [registry.internal/ephi]
            requireSignatures: true
            signatures:
              authorities: [release, intake]
              require: all
              budget: 2500ms
              annotations: {approvedFor: true, expires: true, reviewBy: true}

        """

    @Test func readsEverySignatureFieldAsWritten() throws {
        let policy = try PolicyDocument.parse(yaml: Self.trust)
        let trust = policy.signatures
        #expect(trust.authorities["release"]?.keyFiles.count == 2)
        #expect(trust.authorities["release"]?.identity == .matchRepository)
        #expect(
            trust.authorities["intake"]?.identity == .remap(from: "registry.internal/ephi", to: "intake.example/ml"))
        #expect(trust.registries["registry.internal"] == RegistrySettings(caFile: "/etc/portcullis/registry-ca.pem"))
        #expect(trust.registries["localhost:5000"] == RegistrySettings(insecure: true))
        #expect(trust.registryCredentials == "/etc/portcullis/docker/config.json")
        #expect(trust.cache == SignatureCacheSettings(ttl: .seconds(600), failureTTL: .seconds(30), size: 100))
        let requirement = try #require(policy.classes["ephi"]?.signatures)
        #expect(requirement.authorities == ["release", "intake"])
        #expect(requirement.requireAll)
        #expect(requirement.budget == .milliseconds(2500))
        #expect(requirement.promotion == PromotionRules(approvedFor: true, expires: true, reviewBy: true))
    }

    @Test(arguments: [
        ("    requireSignatures: true\n", "requireSignatures: true but no signatures block"),
        ("    signatures: {authorities: [release]}\n", "has a signatures block but not requireSignatures"),
        (
            "    requireSignatures: true\n    signatures: {authorities: [nobody]}\n",
            "authority \"nobody\" is not defined"
        ),
        ("    requireSignatures: true\n    signatures: {authorities: [release], require: most}\n", "is not any or all"),
        (
            "    requireSignatures: true\n    signatures: {authorities: [release], budget: 4}\n",
            "whole number with a unit"
        ),
        (
            "    requireSignatures: true\n    signatures: {authorities: [release], budget: 1m}\n",
            "between 100ms and 30s"
        ),
        (
            "    requireSignatures: true\n    signatures: {authorities: [release], annotations: {approved: true}}\n",
            "unknown key \"approved\""
        ),
    ])
    func classSignatureMistakesAreErrors(classTail: String, expected: String) {
        let yaml = """
            apiVersion: portcullis.dev/v1
            kind: Policy
            authorities:
              release: {keys: [k.pem], images: ["**"]}
            classes:
              ephi:
                registries: [registry.internal]

            """ + classTail
        let issues = PolicyLintTests.issues(yaml)
        #expect(issues.contains { $0.message.contains(expected) && $0.line > 0 }, "\(issues)")
    }

    @Test func tokenRealmHostsAreReadPerRegistry() throws {
        let policy = try PolicyDocument.parse(
            yaml: PolicyLintTests.header
                + "registries:\n  docker.io: {tokenRealms: [auth.docker.io, \"auth.example:8443\"]}\n"
                + "classes:\n  open: {registries: [docker.io]}\n")
        #expect(policy.signatures.registries["docker.io"]?.tokenRealms == ["auth.docker.io", "auth.example:8443"])
    }

    @Test func keylessAuthoritiesAreReadAsWritten() throws {
        let yaml =
            PolicyLintTests.header + """
                authorities:
                  ci:
                    keyless:
                      trustedRoot: sigstore/trusted_root.json
                      issuer: https://token.actions.githubusercontent.com
                      subjects: ['regex:https://github\\.com/corp/.+@refs/heads/main', release@corp.example]
                    images: ["registry.internal/**"]
                  pem:
                    keyless: {fulcioChain: fulcio.pem, rekorKeys: [rekor.pub, rekor-2.pub], issuer: i, subjects: [s]}
                    images: ["registry.internal/**"]
                classes:
                  open: {registries: [registry.internal]}

                """
        let trust = try PolicyDocument.parse(yaml: yaml).signatures
        #expect(trust.authorities["ci"]?.keyFiles == [])
        #expect(
            trust.authorities["ci"]?.keyless
                == KeylessSettings(
                    trust: .trustedRoot("sigstore/trusted_root.json"),
                    issuer: "https://token.actions.githubusercontent.com",
                    subjects: [#"regex:https://github\.com/corp/.+@refs/heads/main"#, "release@corp.example"]))
        #expect(
            trust.authorities["pem"]?.keyless?.trust
                == .pem(fulcioChain: "fulcio.pem", rekorKeys: ["rekor.pub", "rekor-2.pub"]))
    }

    static func keyless(_ proofOfTime: String) -> String {
        PolicyLintTests.header + "authorities:\n  ci:\n    images: [\"**\"]\n"
            + "    keyless: {trustedRoot: r.json, issuer: i, subjects: [s]\(proofOfTime)}\n"
            + "classes:\n  open: {registries: [registry.internal]}\n"
    }

    @Test(arguments: [
        ("", KeylessSettings.ProofOfTime.any), (", requireProofOfTime: any", .any),
        (", requireProofOfTime: [tsa, inclusionProof]", .all([.timestamp, .inclusionProof])),
        (", requireProofOfTime: [SET]", .all([.signedEntryTimestamp])),
    ])
    func proofOfTimeIsReadAsWrittenAndDefaultsToAny(field: String, expected: KeylessSettings.ProofOfTime) throws {
        let trust = try PolicyDocument.parse(yaml: Self.keyless(field)).signatures
        #expect(trust.authorities["ci"]?.keyless?.proofOfTime == expected)
    }

    /// Each row: a `requireProofOfTime` value, the words of the error, and the column it must point at (line 6).
    @Test(arguments: [
        ("[tsa, rfc3161]", "\"rfc3161\" is not SET, tsa or inclusionProof", 88),
        ("[]", "is empty", 82),
        ("sometimes", "is not any or a list of SET, tsa and inclusionProof", 82),
        ("[any, tsa]", "any stands alone", 83),
        ("[tsa, tsa]", "lists tsa twice", 88),
        ("{tsa: true}", "is not any or a list of SET, tsa and inclusionProof", 82),
    ])
    func proofOfTimeMistakesAreErrorsWithLineAndColumn(value: String, expected: String, column: Int) {
        let issues = PolicyLintTests.issues(Self.keyless(", requireProofOfTime: \(value)"))
        #expect(
            issues.contains { $0.message.contains(expected) && $0.line == 6 && $0.column == column }, "\(issues)")
    }

    @Test(arguments: [
        ("authorities:\n  a: {keys: [], images: [\"**\"]}\n", "keys is empty", 2),
        ("authorities:\n  a: {keys: [k.pem], images: [\"**\"], identity: mine}\n", "is not matchRepository", 2),
        ("authorities:\n  a: {keys: [k.pem], images: [\"**\"], identity: {remap: {from: x}}}\n", "missing \"to\"", 2),
        ("authorities:\n  a: {keys: [k.pem], imgs: [\"**\"]}\n", "unknown key \"imgs\"", 2),
        ("registries:\n  https://r.io: {insecure: true}\n", "registries key", 2),
        ("registries:\n  r.io: {insecure: yes please}\n", "must be true or false", 2),
        ("registries:\n  r.io: {tokenRealms: [https://auth.r.io/token]}\n", "tokenRealms entry", 2),
        ("registries:\n  r.io: {tokenRealms: [auth.r.io/token]}\n", "without a path", 2),
        ("registries:\n  r.io: {tokenRealms: auth.r.io}\n", "tokenRealms must be a list", 2),
        ("signatureCache: {ttl: forever}\n", "signatureCache.ttl", 1),
        ("signatureCache: {size: 0}\n", "signatureCache.size", 1),
        ("registryCredentials: \"\"\n", "empty path", 1),
        (
            "authorities:\n  a: {keys: [k.pem], keyless: {trustedRoot: r.json}, images: [\"**\"]}\n",
            "both keys and keyless", 2
        ),
        ("authorities:\n  a: {images: [\"**\"]}\n", "needs keys (PEM public key files) or keyless", 2),
        (
            "authorities:\n  a:\n    images: [\"**\"]\n    keyless: {trustedRoot: r.json, subjects: [x]}\n",
            "missing \"issuer\"", 4
        ),
        (
            "authorities:\n  a:\n    images: [\"**\"]\n    keyless: {trustedRoot: r.json, issuer: i}\n",
            "missing \"subjects\"", 4
        ),
        (
            "authorities:\n  a:\n    images: [\"**\"]\n    keyless: {trustedRoot: r, issuer: i, subjects: []}\n",
            "subjects must list", 4
        ),
        (
            "authorities:\n  a:\n    images: [\"**\"]\n    keyless: {issuer: i, subjects: [s]}\n",
            "needs either trustedRoot", 4
        ),
        (
            "authorities:\n  a:\n    images: [\"**\"]\n    keyless: {trustedRoot: r, fulcioChain: c, issuer: i, subjects: [s]}\n",
            "needs either trustedRoot", 4
        ),
        (
            "authorities:\n  a:\n    images: [\"**\"]\n    keyless: {trustedRoot: r, issuer: i, subjects: [s], audience: x}\n",
            "unknown key \"audience\"", 4
        ),
        (
            "authorities:\n  a:\n    images: [\"**\"]\n    keyless: {trustedRoot: r, issuer: i, subjects: ['regex:a(b']}\n",
            "\"regex:a(b\" is not a regular expression", 4
        ),
    ])
    func trustMistakesAreErrorsWithPositions(section: String, expected: String, line: Int) {
        let yaml = PolicyLintTests.header + section + "classes:\n  open: {registries: [registry.internal]}\n"
        let issues = PolicyLintTests.issues(yaml)
        #expect(issues.contains { $0.message.contains(expected) && $0.line == line + 2 }, "\(issues)")
    }

    // MARK: promotion metadata, pinned clock

    static let now = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z
    static let all = PromotionRules(approvedFor: true, expires: true, reviewBy: true)
    static let good = [
        "approved-for": "staging, ephi", "expires": "2027-06-30T00:00:00Z", "review-by": "2027-02-01T00:00:00+01:00",
    ]

    static func problems(_ annotations: [String: String], rules: PromotionRules = all) -> [RuleID] {
        ImageSignatureCheck.promotionProblems(
            SignatureEvidence.Signer(authority: "release", keyFingerprint: "sha256:k", annotations: annotations),
            rules: rules, className: "ephi", now: now
        ).map(\.0)
    }

    @Test(
        arguments: [
            ("all present and current", [:], []),
            ("approved-for missing the class", ["approved-for": "staging,ephi-test"], [RuleID.signatureApproval]),
            ("approved-for absent", ["approved-for": nil], [.signatureApproval]),
            ("expired", ["expires": "2027-01-15T07:59:59Z"], [.signatureExpired]),
            ("expires exactly now", ["expires": "2027-01-15T08:00:00Z"], [.signatureExpired]),
            ("expires unreadable", ["expires": "next year"], [.signatureExpired]),
            ("expires with fractional seconds", ["expires": "2027-06-30T00:00:00.5Z"], []),
            ("review overdue", ["review-by": "2027-01-01T00:00:00Z"], [.signatureReviewOverdue]),
            ("review-by absent", ["review-by": nil], [.signatureReviewOverdue]),
        ] as [(String, [String: String?], [RuleID])])
    func promotionRulesWithPinnedClock(name: String, change: [String: String?], expected: [RuleID]) {
        var annotations = Self.good
        for (key, value) in change { annotations[key] = value }
        #expect(Self.problems(annotations) == expected, "\(name)")
    }

    @Test func unenforcedAnnotationsAreIgnored() {
        #expect(Self.problems([:], rules: PromotionRules()) == [])
        #expect(
            Self.problems(["expires": "2000-01-01T00:00:00Z"], rules: PromotionRules(approvedFor: true)) == [
                .signatureApproval
            ])
    }

    @Test func theDecidingSignerIsTheOneWhoseAnnotationsSatisfyTheClass() {
        let ephi = DataClass(
            name: "ephi", registries: ["registry.internal"], requireSignatures: true,
            signatures: SignatureRequirement(authorities: ["release"], promotion: Self.all))
        var stale = Self.good
        stale["expires"] = "2020-01-01T00:00:00Z"
        let signers = [stale, Self.good].enumerated().map { index, annotations in
            SignatureEvidence.Signer(authority: "release", keyFingerprint: "sha256:k\(index)", annotations: annotations)
        }
        let evidence = SignatureEvidence(image: "i", digest: nil, outcome: .verified(signers))
        #expect(evidence.decidingSigner(in: ephi, now: Self.now)?.keyFingerprint == "sha256:k1")
        #expect(evidence.decidingSigner(in: nil, now: Self.now)?.keyFingerprint == "sha256:k0")
        let failed = SignatureEvidence(image: "i", digest: nil, outcome: .failed(.unsigned, message: "none"))
        #expect(failed.decidingSigner(in: ephi, now: Self.now) == nil)
    }

    // MARK: the check in the engine

    static let engine = PolicyEngine(
        policy: try! PolicyDocument.parse(
            yaml: trust.replacingOccurrences(of: "require: all", with: "require: any")), policySHA256: "sha")
    static let image = "registry.internal/ephi/app@sha256:" + String(repeating: "b", count: 64)

    static func decide(_ images: [String], evidence: [String: SignatureEvidence.Outcome]?) throws -> (
        Decision, [[String]]
    ) {
        var pod = Fixture.pod()
        pod.set("spec.nodeSelector", nil)
        pod.set("spec.containers", images.enumerated().map { ["name": "c\($0.offset)", "image": $0.element] })
        let request = try AdmissionReviewCodec.decodeRequest(Fixture.review(pod))
        var asked: [[String]] = []
        let verifier: PolicyEngine.SignatureVerifier = { images, _ in
            asked.append(images)
            return Dictionary(
                uniqueKeysWithValues: images.compactMap { image in
                    evidence?[image].map { (image, SignatureEvidence(image: image, digest: "sha256:d", outcome: $0)) }
                })
        }
        let decision = engine.evaluate(
            request, classFromPath: "ephi", now: now, verifySignatures: evidence == nil ? nil : verifier)
        return (decision, asked)
    }

    static let signer = SignatureEvidence.Signer(authority: "release", keyFingerprint: "sha256:k", annotations: good)

    @Test func verifiedImageIsAllowedAndVerifiedOncePerDistinctImage() throws {
        let (decision, asked) = try Self.decide(
            [Self.image, Self.image], evidence: [Self.image: .verified([Self.signer])])
        #expect(decision.allowed)
        #expect(asked == [[Self.image]])
        #expect(decision.signatures.map(\.image) == [Self.image])
    }

    @Test(arguments: [
        (SignatureEvidence.Outcome.failed(.unsigned, message: "no .sig"), RuleID.imageSignature, "Unsigned"),
        (.failed(.invalid, message: "wrong key"), .imageSignature, "Unsigned"),
        (.failed(.unverifiable, message: "registry down"), .signatureUnverifiable, "CouldNotVerify"),
        (
            .verified([SignatureEvidence.Signer(authority: "release", keyFingerprint: "k", annotations: [:])]),
            .signatureApproval, "Forbidden"
        ),
    ])
    func failuresDenyWithTheirReason(outcome: SignatureEvidence.Outcome, rule: RuleID, reason: String) throws {
        let (decision, _) = try Self.decide([Self.image], evidence: [Self.image: outcome])
        #expect(!decision.allowed)
        #expect(decision.ruleIDs.contains(rule))
        #expect(decision.response(uid: "u").status?.reason == reason)
    }

    @Test func unverifiedImagesAreNeverAllowed() throws {
        let (withoutVerifier, _) = try Self.decide([Self.image], evidence: nil)
        #expect(!withoutVerifier.allowed && withoutVerifier.ruleIDs == [.imageSignature])
        let (missingAnswer, _) = try Self.decide([Self.image], evidence: [:])
        #expect(!missingAnswer.allowed && missingAnswer.ruleIDs == [.imageSignature])
    }

    @Test func imagesFromOtherRegistriesAreNeverSentToTheVerifier() throws {
        let foreign = "evil.example/ephi/app@sha256:" + String(repeating: "c", count: 64)
        let (decision, asked) = try Self.decide([foreign], evidence: [foreign: .verified([Self.signer])])
        #expect(asked.isEmpty)
        #expect(decision.ruleIDs == [.imageSignature, .registryOrigin])
    }
}
