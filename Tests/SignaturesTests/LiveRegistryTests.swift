import Dispatch
import Foundation
import HTTPTransport
import PortcullisCrypto
import Testing

@testable import Signatures

/// Verification against the real `docker-registry` over TLS, with images and signatures pushed by the independent
/// Python signer, and against misbehaving registries.
/// Serialized: the tests share one registry and count its requests, so a parallel test's fetches of the
/// same image would be counted as this one's.
@Suite(.serialized) struct LiveRegistryTests {
    var deadline: UInt64 { DispatchTime.now().uptimeNanoseconds + 5_000_000_000 }

    func registry() throws -> LiveRegistry { try LiveRegistry.shared.get() }

    @Test(arguments: [
        ("signed", ["trusted"], VerifiedSignature.Format.simpleSigning),
        ("bundle", ["trusted"], .sigstoreBundle),
        ("rotated", ["trusted", "rotated"], .simpleSigning),
        ("two-signatures", ["trusted", "rotated"], .simpleSigning),
    ])
    func signedImagesVerify(scenario: String, keys: [String], format: VerifiedSignature.Format) throws {
        let live = try registry()
        let image = live.scenarios[scenario]!
        let outcome = try live.verifier().verify(
            image: image, authorities: [try live.authority(keys)], requireAll: false, deadline: deadline)
        let signatures = try outcome.result.get()
        #expect(signatures.map(\.format) == [format])
        #expect(outcome.digest == String(image.split(separator: "@")[1]))
        #expect(outcome.warnings.isEmpty)
    }

    @Test(arguments: [
        ("wrong-key", VerificationFailure.Reason.invalid, "does not verify with any key"),
        ("rotated", .invalid, "does not verify with any key"),
        ("tampered", .invalid, "does not verify with any key"),
        ("other-digest", .invalid, "is for digest sha256:1111"),
        ("wrong-reference", .invalid, "/live/other, expected 127.0.0.1:"),
        ("unsigned", .unsigned, "no cosign signature found"),
    ])
    func badOrMissingSignaturesAreDenied(scenario: String, reason: VerificationFailure.Reason, words: String) throws {
        let live = try registry()
        let outcome = try live.verifier().verify(
            image: live.scenarios[scenario]!, authorities: [try live.authority()], requireAll: false, deadline: deadline
        )
        guard case .failure(let failure) = outcome.result else { Issue.record("\(scenario) verified"); return }
        #expect(failure.reason == reason)
        #expect(failure.message.contains(words), "\(failure.message)")
        #expect(failure.registry == live.host)
    }

    @Test func signedAnnotationsReachTheCaller() throws {
        let live = try registry()
        let outcome = try live.verifier().verify(
            image: live.scenarios["annotated"]!, authorities: [try live.authority()], requireAll: false,
            deadline: deadline)
        #expect(
            try outcome.result.get().first?.annotations == ["approved-for": "ephi", "expires": "2030-01-01T00:00:00Z"])
    }

    @Test func secondVerificationOfADigestMakesNoRegistryRequest() throws {
        let live = try registry()
        let verifier = try live.verifier()
        let image = live.scenarios["counted"]!
        let first = verifier.verify(
            image: image, authorities: [try live.authority()], requireAll: false, deadline: deadline)
        #expect(throws: Never.self) { try first.result.get() }
        #expect(!first.fromCache)
        let afterFirst = live.requestCount(containing: "/v2/live/counted/")
        #expect(afterFirst >= 2)
        let results = verifier.verify(
            images: [image, image, image], authorities: [try live.authority()], requireAll: false, deadline: deadline)
        #expect(results.count == 1)
        #expect(results[image]?.fromCache == true)
        #expect(throws: Never.self) { try results[image]!.result.get() }
        #expect(live.requestCount(containing: "/v2/live/counted/") == afterFirst)
    }

    @Test("the cache alone answers only what it holds fresh; a tag or a cold digest needs the registry")
    func verificationFromTheCacheAlone() throws {
        let live = try registry()
        let verifier = try live.verifier()
        let image = live.scenarios["signed"]!
        let authorities = [try live.authority()]
        #expect(verifier.verifyFromCache(images: [image], authorities: authorities, requireAll: false) == nil)
        let cold = verifier.verify(image: image, authorities: authorities, requireAll: false, deadline: deadline)
        #expect(throws: Never.self) { try cold.result.get() }
        let before = live.requestCount(containing: "/v2/live/")
        let cached = try #require(
            verifier.verifyFromCache(images: [image, image], authorities: authorities, requireAll: false))
        #expect(cached.count == 1 && cached[image]?.fromCache == true && cached[image]?.digest == cold.digest)
        #expect(throws: Never.self) { try cached[image]!.result.get() }
        // Another authority set is another key; a tag must be resolved; neither may touch the registry here.
        #expect(verifier.verifyFromCache(images: [image], authorities: [], requireAll: false) == nil)
        let tagged = String(image.split(separator: "@")[0]) + ":v1"
        #expect(verifier.verifyFromCache(images: [image, tagged], authorities: authorities, requireAll: false) == nil)
        #expect(live.requestCount(containing: "/v2/live/") == before)
        // What is wrong without the registry is answered at once, as `verify` answers it.
        let junk = "registry.example/app@md5:abc"
        let answered = try #require(
            verifier.verifyFromCache(images: [junk], authorities: authorities, requireAll: false))
        guard case .failure(let failure) = answered[junk]?.result else { Issue.record("\(answered)"); return }
        #expect(failure.reason == .invalid)
    }

    @Test func concurrentAdmissionsOfOneImageShareOneRegistryRound() throws {
        let live = try registry()
        let verifier = try live.verifier()
        let image = live.scenarios["signed"]!.replacingOccurrences(of: "/live/signed@", with: "/live/signed@")
        let before = live.requestCount(containing: "/v2/live/signed/manifests/sha256-")
        let authority = try live.authority()
        let deadline = self.deadline
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let outcome = verifier.verify(image: image, authorities: [authority], requireAll: false, deadline: deadline)
            #expect(throws: Never.self) { try outcome.result.get() }
        }
        // One round: the .sig manifest and the referrers-tag lookup, once each.
        #expect(live.requestCount(containing: "/v2/live/signed/manifests/sha256-") - before == 2)
    }

    @Test func tagIsResolvedToTheSignedDigestWithAWarning() throws {
        let live = try registry()
        let pinned = live.scenarios["signed"]!
        let tagged = pinned.split(separator: "@")[0] + ":v1"
        let outcome = try live.verifier().verify(
            image: String(tagged), authorities: [try live.authority()], requireAll: false, deadline: deadline)
        #expect(throws: Never.self) { try outcome.result.get() }
        #expect(outcome.digest == String(pinned.split(separator: "@")[1]))
        #expect(outcome.warnings.contains { $0.contains("may later pull a different digest") })
    }

    @Test func registryWithAnUntrustedCertificateIsUnverifiable() throws {
        let live = try registry()
        let verifier = ImageVerifier(client: RegistryClient(http: HTTPClient()))
        let outcome = verifier.verify(
            image: live.scenarios["signed"]!, authorities: [try live.authority()], requireAll: false, deadline: deadline
        )
        guard case .failure(let failure) = outcome.result else { Issue.record("verified over untrusted TLS"); return }
        #expect(failure.reason == .unverifiable)
        #expect(failure.message.contains("TLS failure"), "\(failure.message)")
    }

    @Test func registryDownIsUnverifiable() throws {
        let host = "127.0.0.1:\(LiveRegistry.freePort())"
        let verifier = ImageVerifier(client: RegistryClient(http: HTTPClient()))
        let outcome = verifier.verify(
            image: "\(host)/live/app@sha256:" + String(repeating: "a", count: 64),
            authorities: [try registry().authority()], requireAll: false, deadline: deadline)
        guard case .failure(let failure) = outcome.result else { Issue.record("verified"); return }
        #expect(failure.reason == .unverifiable)
        #expect(failure.registry == host)
        #expect(failure.message.contains("cannot connect"), "\(failure.message)")
    }

    @Test(arguments: [
        ("hang", VerificationFailure.Reason.unverifiable, "timed out"),
        ("garbage", .unverifiable, "malformed response"),
        ("error", .unverifiable, "HTTP 503"),
    ])
    func misbehavingRegistriesAreDenied(mode: String, reason: VerificationFailure.Reason, words: String) throws {
        let fake = try FakeRegistry(mode: mode)
        let outcome = fake.verifier().verify(
            image: "\(fake.host)/live/app@sha256:" + String(repeating: "a", count: 64),
            authorities: [try registry().authority()], requireAll: false, deadline: deadline)
        guard case .failure(let failure) = outcome.result else { Issue.record("verified"); return }
        #expect(failure.reason == reason)
        #expect(failure.message.contains(words), "\(failure.message)")
        #expect(failure.registry == fake.host)
    }

    @Test func tokenAuthenticatedRegistryNeedsCredentials() throws {
        let live = try LiveRegistry.withTokenAuth.get()
        let image = live.scenarios["signed"]!
        let credentials = try RegistryCredentials(
            dockerConfigJSON: Array(
                "{\"auths\":{\"https://\(live.host)\":{\"auth\":\"\(Data("puller:s3cret".utf8).base64EncodedString())\"}}}"
                    .utf8))
        let allowed = try live.verifier(credentials: credentials).verify(
            image: image, authorities: [try live.authority()], requireAll: false, deadline: deadline)
        #expect(throws: Never.self) { try allowed.result.get() }
        let anonymous = try live.verifier().verify(
            image: image, authorities: [try live.authority()], requireAll: false, deadline: deadline)
        guard case .failure(let failure) = anonymous.result else {
            Issue.record("verified without credentials"); return
        }
        #expect(failure.reason == .unverifiable)
        #expect(failure.message.contains("token service"), "\(failure.message)")
    }

    @Test func hostNameIsVerifiedWithSNI() throws {
        let live = try registry()
        let port = live.host.split(separator: ":")[1]
        let image = live.scenarios["signed"]!.replacingOccurrences(of: "127.0.0.1:", with: "localhost:")
        let verifier = ImageVerifier(
            client: RegistryClient(
                http: HTTPClient(tlsByHost: ["localhost:\(port)": try TLSClientContext(caBundlePath: live.caFile)])))
        let authority = Authority(
            name: "release", keys: [try live.key("trusted")], imagePatterns: [ImagePattern("localhost:*/live/*")],
            identity: .remap(imagePrefix: "localhost:\(port)/live", signedPrefix: "127.0.0.1:\(port)/live"))
        let outcome = verifier.verify(image: image, authorities: [authority], requireAll: false, deadline: deadline)
        #expect(throws: Never.self) { try outcome.result.get() }
    }
}
