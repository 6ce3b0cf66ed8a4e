import Foundation
import Signatures
import Testing

@testable import Webhook

/// Keyless authorities as the webhook loads them: trust files relative to the policy, read when the policy loads,
/// and a policy whose trust cannot be used refused with the file named while a reload keeps the previous one.
@Suite struct KeylessPolicyLoadTests {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SignaturesTests/Fixtures/keyless").path

    /// A policy in a fresh directory holding a copy of the local test PKI's trusted root.
    final class Directory {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keyless-\(UUID())").path
        init() throws {
            try FileManager.default.createDirectory(atPath: path + "/sigstore", withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                atPath: KeylessPolicyLoadTests.fixtures + "/local/trusted_root.json",
                toPath: path + "/sigstore/trusted_root.json")
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func policy(_ keyless: String) throws -> String {
            let text = """
                apiVersion: portcullis.dev/v1
                kind: Policy
                authorities:
                  ci:
                    keyless:
                \(keyless.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))
                    images: ["registry.internal/**"]
                classes:
                  ml:
                    registries: [registry.internal]
                    requireSignatures: true
                    signatures: {authorities: [ci]}

                """
            try text.write(toFile: path + "/policy.yaml", atomically: true, encoding: .utf8)
            return path + "/policy.yaml"
        }
    }

    static let identity = """
        issuer: https://token.actions.githubusercontent.com
        subjects: ['regex:https://github\\.com/corp/trainer/.+@refs/heads/main', release@corp.example]
        """

    @Test func theRequiredProofOfTimeReachesTheVerifier() throws {
        let directory = try Directory()
        let path = try directory.policy(
            "trustedRoot: sigstore/trusted_root.json\nrequireProofOfTime: [tsa, inclusionProof]\n" + Self.identity)
        let keyless = try #require(PolicyStore(path: path).current.signatures?.authorities["ci"]?.keyless)
        #expect(keyless.proofOfTime == .all([.timestamp, .inclusionProof]))
        let fallback = try directory.policy("trustedRoot: sigstore/trusted_root.json\n" + Self.identity)
        #expect(try PolicyStore(path: fallback).current.signatures?.authorities["ci"]?.keyless?.proofOfTime == .any)
    }

    @Test func aTrustedRootRelativeToThePolicyLoadsWithItsIdentities() throws {
        let directory = try Directory()
        let loaded = try PolicyStore(
            path: directory.policy("trustedRoot: sigstore/trusted_root.json\n" + Self.identity)
        )
        .current
        let keyless = try #require(loaded.signatures?.authorities["ci"]?.keyless)
        #expect(keyless.trustedRoot.source == directory.path + "/sigstore/trusted_root.json")
        #expect(keyless.subjects.map(\.description).last == "\"release@corp.example\"")
        #expect(keyless.issuer.matches("https://token.actions.githubusercontent.com"))
        let fingerprints = try #require(loaded.signatures?.trustFingerprints.first)
        #expect(fingerprints.name == "ci" && fingerprints.fingerprints == [keyless.trustedRoot.fingerprint])
    }

    @Test func pemFilesInsteadOfATrustedRoot() throws {
        let directory = try Directory()
        let trust =
            "fulcioChain: \(Self.fixtures)/containers-image-fulcio-chain.pem\n"
            + "rekorKeys: [\(Self.fixtures)/sigstore-rekor.pub]\n"
        let loaded = try PolicyStore(path: directory.policy(trust + Self.identity)).current
        #expect(loaded.signatures?.authorities["ci"]?.keyless?.trustedRoot.transparencyLogs.count == 1)
    }

    @Test(arguments: [
        ("trustedRoot: sigstore/missing.json\n" + identity, "sigstore/missing.json"),
        ("trustedRoot: policy.yaml\n" + identity, "policy.yaml"),
    ])
    func unusableTrustFailsTheLoadNamingIt(keyless: String, named: String) throws {
        let directory = try Directory()
        #expect {
            try PolicyStore(path: directory.policy(keyless))
        } throws: { error in
            "\(error)".contains("signature trust") && "\(error)".contains(named)
        }
    }

    @Test func aReloadWithAMissingTrustedRootKeepsThePreviousPolicy() throws {
        let directory = try Directory()
        let store = try PolicyStore(path: directory.policy("trustedRoot: sigstore/trusted_root.json\n" + Self.identity))
        let before = store.current.sha256
        _ = try directory.policy("trustedRoot: sigstore/rotated.json\n" + Self.identity)
        guard case .rejected(_, let error) = store.reloadIfChanged() else {
            Issue.record("a policy with a missing trusted root was put in force")
            return
        }
        #expect(error.contains("sigstore/rotated.json"))
        #expect(store.current.sha256 == before)
    }
}
