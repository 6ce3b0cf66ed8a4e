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
