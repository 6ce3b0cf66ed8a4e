import Dispatch
import Foundation
import HTTPTransport
import PortcullisCrypto
import Testing

@testable import Signatures

/// Faults a registry (or whoever controls its answers) can cause: redirects, token realms, a missing referrers API,
/// repeated layers and corrupt blobs, each against a fake on loopback. The real registry behind the proxying fakes
/// serves the `annotated` scenario, which no other test counts requests for.
@Suite struct RegistryFaultTests {
    var deadline: UInt64 { DispatchTime.now().uptimeNanoseconds + 5_000_000_000 }
    let unsignedPath = "/live/app@sha256:" + String(repeating: "a", count: 64)

    func failure(of outcome: ImageVerification) -> VerificationFailure? {
        guard case .failure(let failure) = outcome.result else {
            Issue.record("\(outcome.image) verified")
            return nil
        }
        return failure
    }

    /// The outcome is `unverifiable` and its message says each of `words`.
    func expectUnverifiable(_ outcome: ImageVerification, saying words: [String]) {
        guard let failure = failure(of: outcome) else { return }
        #expect(failure.reason == .unverifiable)
        for text in words { #expect(failure.message.contains(text), "\(failure.message)") }
    }

    /// Verifies an image at `fake` that the fake serves no real signature for.
    func verifyUnsigned(at fake: FakeRegistry, with verifier: ImageVerifier) throws -> ImageVerification {
        verifier.verify(
            image: fake.host + unsignedPath, authorities: [try authority(for: fake.host)], requireAll: false,
            deadline: deadline)
    }

    /// The trusted key for images under `host`, whatever reference they were signed with: a proxying fake serves
    /// the real registry's signatures under its own name.
    func authority(for host: String) throws -> Authority {
        Authority(
            name: "release", keys: [try LiveRegistry.shared.get().key("trusted")],
            imagePatterns: [ImagePattern("\(host)/live/*")], identity: .any)
    }

    func signedImage(at host: String) throws -> String {
        let live = try LiveRegistry.shared.get()
        return live.scenarios["annotated"]!.replacingOccurrences(of: live.host, with: host)
    }

    // MARK: - Redirects

    @Test func httpsRegistryRedirectingToPlainHTTPIsRefused() throws {
        let plain = try FakeRegistry(mode: "error")
        let fake = try FakeRegistry(mode: "redirect", target: "http://\(plain.host)", tls: true)
        let outcome = try verifyUnsigned(at: fake, with: fake.verifier(tlsByHost: [fake.host: try fake.trust()]))
        expectUnverifiable(outcome, saying: ["to http://\(plain.host)/v2/live/app/", "never from https to http"])
        #expect(plain.requests.isEmpty, "the downgraded request was sent: \(plain.requests)")
    }

    @Test func manifestRedirectToAnotherHostIsRefused() throws {
        let other = try FakeRegistry(mode: "error")
        let fake = try FakeRegistry(mode: "redirect", target: "http://\(other.host)")
        let outcome = try verifyUnsigned(at: fake, with: fake.verifier())
        expectUnverifiable(outcome, saying: ["to http://\(other.host)/v2/live/app/manifests/", "only blob downloads"])
        #expect(other.requests.isEmpty, "the redirected request was sent: \(other.requests)")
    }

    /// The fake is the registry as `localhost:PORT` (Basic auth) and the blob storage host as `127.0.0.1:PORT`,
    /// which refuses any request carrying credentials.
    @Test func blobRedirectToAnotherHostIsFollowedWithoutCredentials() throws {
        let live = try LiveRegistry.shared.get()
        let fake = try FakeRegistry(mode: "blob-redirect", target: "https://\(live.host)", tls: true)
        let registry = "localhost:\(fake.port)"
        let trust = try fake.trust()
        let outcome = fake.verifier(
            tlsByHost: [registry: trust, fake.host: trust], credentials: try .puller(at: registry)
        ).verify(
            image: try signedImage(at: registry), authorities: [try authority(for: registry)], requireAll: false,
            deadline: deadline)
        #expect(throws: Never.self) { try outcome.result.get() }
        let storage = fake.requests.filter { $0.hasPrefix("request \(fake.host) ") }
        #expect(storage.contains { $0.contains("/blobs/sha256:") }, "\(fake.requests)")
        #expect(storage.allSatisfy { $0.hasSuffix("auth=no") }, "\(storage)")
    }

    // MARK: - Token realms

    @Test func plainHTTPTokenRealmGetsNoCredentials() throws {
        let realmServer = try FakeRegistry(mode: "error")
        let realm = "http://\(realmServer.host)/token"
        let fake = try FakeRegistry(mode: "bearer", target: realm)
        let outcome = try verifyUnsigned(at: fake, with: fake.verifier(credentials: try .puller(at: fake.host)))
        expectUnverifiable(outcome, saying: ["token realm \(realm)", "not https"])
        #expect(realmServer.requests.isEmpty, "credentials went to \(realm): \(realmServer.requests)")
    }

    @Test(arguments: [false, true])
    func tokenRealmOnAnotherHostGetsCredentialsOnlyWhenListed(listed: Bool) throws {
        let realmServer = try FakeRegistry(mode: "error", tls: true)
        let realmHost = "localhost:\(realmServer.port)"
        let realm = "https://\(realmHost)/token"
        let fake = try FakeRegistry(mode: "bearer", target: realm)
        let verifier = fake.verifier(
            tlsByHost: [realmHost: try realmServer.trust()], credentials: try .puller(at: fake.host),
            tokenRealms: listed ? [fake.host: [realmHost]] : [:])
        let outcome = try verifyUnsigned(at: fake, with: verifier)
        if listed {
            expectUnverifiable(outcome, saying: ["token service https://\(realmHost)", "HTTP 503"])
            #expect(realmServer.requests.count == 1 && realmServer.requests[0].hasSuffix("auth=yes"))
        } else {
            expectUnverifiable(outcome, saying: ["token realm \(realm)", "registries.\"\(fake.host)\".tokenRealms"])
            #expect(realmServer.requests.isEmpty, "credentials went to \(realm): \(realmServer.requests)")
        }
    }

    // MARK: - Referrers API

    @Test(arguments: [400, 405, 500])
    func referrersAPIErrorFallsBackToTheSignatureTag(status: Int) throws {
        let live = try LiveRegistry.shared.get()
        let fake = try FakeRegistry(mode: "referrers-\(status)", target: "https://\(live.host)", tls: true)
        let outcome = fake.verifier(tlsByHost: [fake.host: try fake.trust()]).verify(
            image: try signedImage(at: fake.host), authorities: [try authority(for: fake.host)], requireAll: false,
            deadline: deadline)
        #expect(throws: Never.self) { try outcome.result.get() }
        #expect(fake.requests.contains { $0.contains("/referrers/sha256:") }, "\(fake.requests)")
    }

    @Test func referrersAPITimeoutStillFailsClosed() throws {
        let live = try LiveRegistry.shared.get()
        let fake = try FakeRegistry(mode: "referrers-hang", target: "https://\(live.host)", tls: true)
        let outcome = fake.verifier(tlsByHost: [fake.host: try fake.trust()]).verify(
            image: try signedImage(at: fake.host), authorities: [try authority(for: fake.host)], requireAll: false,
            deadline: deadline)
        expectUnverifiable(outcome, saying: ["timed out", "/referrers/"])
    }

    // MARK: - Blobs

    @Test func identicalLayersFetchTheirBlobOnce() throws {
        let fake = try FakeRegistry(mode: "identical-layers")
        let outcome = try verifyUnsigned(at: fake, with: fake.verifier())
        #expect(failure(of: outcome)?.reason == .invalid)
        #expect(fake.requests.filter { $0.contains("/blobs/") }.count == 1, "\(fake.requests)")
    }

    /// Bytes that do not hash to their digest say nothing about signatures: the registry (or a proxy) is broken or
    /// tampered with, so the image is unverifiable, and the verdict is kept for the failure TTL, not the few
    /// seconds an outage is.
    @Test func blobNotMatchingItsDigestIsUnverifiableForTheFailureTTL() throws {
        let fake = try FakeRegistry(mode: "mismatch")
        let cache = VerificationCache(settings: .init(failureTTL: .seconds(300), unverifiableTTL: .zero))
        let verifier = fake.verifier(cache: cache)
        let first = try verifyUnsigned(at: fake, with: verifier)
        expectUnverifiable(first, saying: ["blob sha256:" + String(repeating: "ab", count: 32)])
        let second = try verifyUnsigned(at: fake, with: verifier)
        #expect(second.fromCache)
        #expect(second.result == first.result)
    }
}
