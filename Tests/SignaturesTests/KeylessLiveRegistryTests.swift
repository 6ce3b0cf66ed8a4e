import Dispatch
import Foundation
import Testing

@testable import Signatures

/// Keyless signatures pushed to the real `docker-registry` by the Python signer (local Fulcio/Rekor stand-in, leaves
/// expired half an hour before the test runs), verified end to end through `ImageVerifier`.
@Suite struct KeylessLiveRegistryTests {
    var deadline: UInt64 { DispatchTime.now().uptimeNanoseconds + 5_000_000_000 }

    func authority(_ live: LiveRegistry) throws -> Authority {
        let root = try TrustedRoot.load(trustedRootFile: live.work + "/out/keyless_trusted_root.json")
        let policy = KeylessPolicy(
            trustedRoot: root,
            subjects: [
                try .regex(#"https://github\.com/corp/trainer/\.github/workflows/release\.yml@refs/heads/main"#)
            ],
            issuer: .exact("https://token.actions.githubusercontent.com"))
        return Authority(name: "ci", keys: [], imagePatterns: [ImagePattern("**")], keyless: policy)
    }

    @Test(arguments: [("keyless", VerifiedSignature.Format.simpleSigning), ("keyless-bundle", .sigstoreBundle)])
    func expiredKeylessCertificatesVerifyAsOfTheirLogTime(scenario: String, format: VerifiedSignature.Format) throws {
        let live = try LiveRegistry.shared.get()
        let outcome = try live.verifier().verify(
            image: live.scenarios[scenario]!, authorities: [try authority(live)], requireAll: false, deadline: deadline)
        let signatures = try outcome.result.get()
        #expect(signatures.map(\.format) == [format])
        #expect(signatures.first?.signer?.subject.hasSuffix("@refs/heads/main") == true)
        #expect(outcome.checks.first?.steps.contains { $0.contains("SignedEntryTimestamp verifies") } == true)
    }

    @Test func aWorkflowOnAnotherBranchIsDeniedNamingBoth() throws {
        let live = try LiveRegistry.shared.get()
        let outcome = try live.verifier().verify(
            image: live.scenarios["keyless-feature"]!, authorities: [try authority(live)], requireAll: false,
            deadline: deadline)
        guard case .failure(let failure) = outcome.result else {
            Issue.record("a feature-branch signature verified")
            return
        }
        #expect(failure.reason == .invalid)
        #expect(failure.message.contains("@refs/heads/feature (issuer https://token.actions.githubusercontent.com)"))
        #expect(failure.message.contains("refs/heads/main/"))
    }
}
