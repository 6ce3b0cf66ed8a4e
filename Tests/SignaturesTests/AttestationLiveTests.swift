import Dispatch
import Testing

@testable import Signatures

/// Images that carry what a 2026 pipeline attaches next to the signature: an SBOM bundle over the 1 MiB blob limit
/// and 20 vulnerability-scan bundles, all referrers with the signature's artifact type. The signature alone decides;
/// the attestations must neither be downloaded nor count against the referrer limit. Serialized: the tests count
/// the registry's requests for the same repositories.
@Suite(.serialized) struct AttestationLiveTests {
    var deadline: UInt64 { DispatchTime.now().uptimeNanoseconds + 10_000_000_000 }

    /// `attested` lists the referrers with their predicate-type annotations (a referrers API), `attested-fallback`
    /// without (cosign's fallback tag drops them), so the referrer manifests must be read to learn the type.
    @Test(arguments: ["attested", "attested-fallback"])
    func aSignedImageWithAnOversizedSBOMAndTwentyScansIsAdmitted(scenario: String) throws {
        let live = try LiveRegistry.shared.get()
        let outcome = try live.verifier().verify(
            image: live.scenarios[scenario]!, authorities: [try live.authority()], requireAll: false,
            deadline: deadline)
        let signatures = try outcome.result.get()
        #expect(signatures.map(\.format) == [.sigstoreBundle])
        #expect(live.requestCount(containing: "/blobs/" + live.scenarios[scenario + ".sbom-blob"]!) == 0)
    }

    @Test func annotatedAttestationReferrersAreNeverFetched() throws {
        let live = try LiveRegistry.shared.get()
        // The referrers tag is `sha256-…`; referrer manifests and blobs are fetched by `sha256:…` digest.
        let manifests = "/v2/live/attested/manifests/sha256:"
        let blobs = "/v2/live/attested/blobs/sha256:"
        let before = (live.requestCount(containing: manifests), live.requestCount(containing: blobs))
        let outcome = try live.verifier().verify(
            image: live.scenarios["attested"]!, authorities: [try live.authority()], requireAll: false,
            deadline: deadline)
        #expect(throws: Never.self) { try outcome.result.get() }
        // The signature's referrer manifest and its bundle, nothing of the 21 attestations.
        #expect(live.requestCount(containing: manifests) - before.0 == 1)
        #expect(live.requestCount(containing: blobs) - before.1 == 1)
    }

    /// With no predicate annotation anywhere the bundle must be read to know what it is; one too large to read is
    /// named in the verdict and never outweighs the signature beside it.
    @Test func anUnreadableUnlabelledAttestationDoesNotDiscardTheSignature() throws {
        let live = try LiveRegistry.shared.get()
        let signed = try live.verifier().verify(
            image: live.scenarios["attested-unlabelled"]!, authorities: [try live.authority()], requireAll: false,
            deadline: deadline)
        #expect(try signed.result.get().map(\.format) == [.sigstoreBundle])

        let alone = try live.verifier().verify(
            image: live.scenarios["attestation-only"]!, authorities: [try live.authority()], requireAll: false,
            deadline: deadline)
        guard case .failure(let failure) = alone.result else { Issue.record("an SBOM alone verified"); return }
        #expect(failure.reason == .unverifiable)
        #expect(!failure.transient)
        #expect(failure.message.contains("no cosign signature could be read"), "\(failure.message)")
        #expect(failure.message.contains("over the 1048576-byte limit"), "\(failure.message)")
        #expect(failure.registry == live.host)
    }
}
