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

    /// A class requiring the scans reads all twenty (they do not count against the signature's limit of 16), and
    /// each carries its own bundle digest; the SBOM is still not downloaded.
    @Test func requiredScansAreAllReadAndTheSBOMIsNot() throws {
        let live = try LiveRegistry.shared.get()
        let scan = "https://cosign.sigstore.dev/attestation/vuln/v1"
        let outcome = try live.verifier().verify(
            image: live.scenarios["attested"]!, authorities: [try live.authority()], requireAll: false,
            attestations: [[scan]], deadline: deadline)
        #expect(try outcome.result.get().map(\.format) == [.sigstoreBundle])
        let facts = outcome.attestations.compactMap(\.attestation)
        #expect(facts.count == 20)
        #expect(Set(facts.map(\.bundleDigest)).count == 20)
        #expect(facts.allSatisfy { $0.predicateType == scan })
        #expect(live.requestCount(containing: "/blobs/" + live.scenarios["attested.sbom-blob"]!) == 0)
    }

    /// A required SBOM over the blob limit is not silently missing: the verdict is `unverifiable` (not transient,
    /// so cached like a verdict) and names the limit, while the signature beside it verified.
    @Test func aRequiredSBOMOverTheLimitIsUnverifiableAndSaysWhy() throws {
        let live = try LiveRegistry.shared.get()
        let outcome = try live.verifier().verify(
            image: live.scenarios["attested"]!, authorities: [try live.authority()], requireAll: false,
            attestations: [["https://spdx.dev/Document/v2.3", "https://cyclonedx.org/bom"]], deadline: deadline)
        guard case .failure(let failure) = outcome.result else { Issue.record("admitted without its SBOM"); return }
        #expect(failure.reason == .unverifiable)
        #expect(!failure.transient)
        #expect(failure.message.contains("no required attestation"), "\(failure.message)")
        #expect(failure.message.contains("over the 1048576-byte limit"), "\(failure.message)")
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
