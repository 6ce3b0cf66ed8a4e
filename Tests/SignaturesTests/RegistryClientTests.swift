import Foundation
import HTTPTransport
import Testing

@testable import Signatures

/// The registry client's parsing of what registries and operators hand it.
@Suite struct RegistryClientTests {
    @Test func parsesBearerChallenges() {
        let parameters = RegistryClient.challengeParameters(
            #" realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#)
        #expect(
            parameters == [
                "realm": "https://auth.example/token", "service": "registry.example",
                "scope": "repository:a/b:pull,push",
            ])
        #expect(
            RegistryClient.challengeParameters("realm=https://x/t, service=s") == [
                "realm": "https://x/t", "service": "s",
            ])
        #expect(RegistryClient.challengeParameters("garbage") == [:])
    }

    @Test func parsesRedirectAndRealmURLs() {
        let base = HTTPTransportEndpoint.registry
        let absolute = RegistryURL("https://blobs.example:8443/path/x?sig=1", relativeTo: base)
        #expect(absolute?.endpoint.description == "https://blobs.example:8443")
        #expect(absolute?.target == "/path/x?sig=1")
        #expect(RegistryURL("/v2/a/blobs/sha256:1", relativeTo: base)?.endpoint == base)
        #expect(RegistryURL("http://[::1]:5000", relativeTo: nil)?.endpoint.host == "::1")
        #expect(RegistryURL("ftp://x/y", relativeTo: base) == nil)
        #expect(RegistryURL("https://x:99999/", relativeTo: base) == nil)
    }

    @Test(
        arguments: [
            ("registry.internal", [], "https://registry.internal/token", nil),
            ("registry.internal:5000", [], "https://registry.internal:5001/token", nil),
            ("docker.io", ["auth.docker.io"], "https://auth.docker.io/token", nil),
            ("registry.internal", [], "http://registry.internal/token", "which is not https"),
            (
                "registry.internal", [], "https://auth.example/token",
                "registries.\"registry.internal\".tokenRealms (none"
            ),
            ("registry.internal", [], "https://registry.internal.evil.example/token", "on host registry.internal.evil"),
            ("registry.internal", ["auth.example:8443"], "https://auth.example/token", "listed: auth.example:8443"),
            ("registry.internal", [], "ftp://registry.internal/token", "not a URL"),
        ] as [(String, Set<String>, String, String?)])
    func tokenRealmMustBeHTTPSOnTheRegistryOrListed(
        registry: String, listed: Set<String>, realm: String, refusal: String?
    ) {
        let check = TokenRealmCheck(registry: registry, allowedHosts: listed)
        do {
            let url = try check.check(realm: realm)
            #expect(refusal == nil, "\(realm) was allowed")
            #expect(url.target == "/token")
        } catch {
            #expect(error.message.contains(refusal ?? "(allowed)"), "\(error.message)")
            #expect(error.message.contains(realm), "\(error.message)")
        }
    }

    @Test(
        arguments: [
            ("https://registry.internal:5000/v2/other", false, nil),
            ("https://blobs.example/b?sig=1", true, nil),
            ("https://blobs.example/b?sig=1", false, "only blob downloads may be served by another host"),
            ("https://registry.internal:5001/v2/x", false, "another host"),
            ("http://registry.internal:5000/v2/x", true, "never from https to http"),
            ("http://blobs.example/b", true, "never from https to http"),
        ] as [(String, Bool, String?)])
    func redirectsKeepTheSchemeAndLeaveTheHostOnlyForBlobs(location: String, isBlob: Bool, refusal: String?) throws {
        let origin = HTTPTransportEndpoint.registry
        let next = try #require(RegistryURL(location, relativeTo: origin))
        let check = RedirectCheck(registry: "registry.internal:5000", origin: origin, isBlob: isBlob)
        do {
            try check.check(next.endpoint, location: location, from: "/v2/a/blobs/sha256:1")
            #expect(refusal == nil, "\(location) was followed")
        } catch {
            #expect(error.kind == .refused)
            #expect(error.message.contains(refusal ?? "(followed)"), "\(error.message)")
            #expect(error.message.contains(location), "\(error.message)")
        }
    }

    @Test func readsDockerConfigAuths() throws {
        let config = """
            {"auths": {"https://registry.internal:5000/v1/": {"auth": "\(Data("bot:pa:ss".utf8).base64EncodedString())"},
                       "intake.example": {"username": "u", "password": "p"}}, "credsStore": "desktop"}
            """
        let credentials = try RegistryCredentials(dockerConfigJSON: Array(config.utf8))
        #expect(credentials.basic["registry.internal:5000"]?.username == "bot")
        #expect(credentials.basic["registry.internal:5000"]?.password == "pa:ss")
        #expect(credentials.basicHeader(for: "intake.example") == "Basic " + Data("u:p".utf8).base64EncodedString())
        #expect(credentials.basicHeader(for: "other.example") == nil)
    }

    @Test(arguments: ["[]", "{\"auths\": {\"r\": {\"auth\": \"not base64!\"}}}", "not json"])
    func refusesBrokenDockerConfigs(text: String) {
        #expect(throws: RegistryError.self) { try RegistryCredentials(dockerConfigJSON: Array(text.utf8)) }
    }
}

enum HTTPTransportEndpoint {
    static let registry = HTTPEndpoint(useTLS: true, host: "registry.internal", port: 5000)
}
