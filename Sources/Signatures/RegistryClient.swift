import Foundation
import HTTPTransport
import PortcullisCrypto
import Synchronization

/// Reads manifests, blobs and referrers from OCI distribution registries, the only network peers of verification.
///
/// Every request carries a deadline; bodies are bounded (manifests and signature blobs are small, so anything large
/// is refused rather than buffered); `401` challenges are answered with the Bearer token flow (from an allowed realm,
/// see ``TokenRealmCheck``) or basic credentials; redirects keep the scheme and leave the registry's host only for
/// blobs (see ``RedirectCheck``), and credentials never leave the registry's own origin.
public final class RegistryClient: Sendable {
    /// Registry settings that are not secrets.
    public struct Configuration: Sendable {
        /// `host[:port]` of registries reached over plain HTTP. Everything else is HTTPS with verification.
        public var insecureRegistries: Set<String>
        /// Token realm hosts (`host[:port]`) each registry may send its pull credentials to, besides its own host.
        public var tokenRealms: [String: Set<String>]
        /// Longest a single request may take, within the caller's overall deadline.
        public var requestTimeout: Duration
        public var maxManifestBytes: Int
        public var maxBlobBytes: Int

        public init(
            insecureRegistries: Set<String> = [], tokenRealms: [String: Set<String>] = [:],
            requestTimeout: Duration = .seconds(3), maxManifestBytes: Int = 4 << 20, maxBlobBytes: Int = 1 << 20
        ) {
            self.insecureRegistries = insecureRegistries
            self.tokenRealms = tokenRealms
            self.requestTimeout = requestTimeout
            self.maxManifestBytes = maxManifestBytes
            self.maxBlobBytes = maxBlobBytes
        }
    }

    /// A manifest as served, with the digest recomputed from its bytes.
    public struct Manifest: Sendable {
        public let bytes: [UInt8]
        public let mediaType: String
        public let digest: String
    }

    public static let manifestAccept = [
        "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ].joined(separator: ", ")

    public let configuration: Configuration
    private let http: HTTPClient
    private let credentials: RegistryCredentials
    /// Bearer tokens by `registry scope`, with their monotonic expiry.
    private let tokens = Mutex<[String: (token: String, expires: UInt64)]>([:])

    public init(
        configuration: Configuration = Configuration(), http: HTTPClient, credentials: RegistryCredentials = .init()
    ) {
        self.configuration = configuration
        self.http = http
        self.credentials = credentials
    }

    // MARK: - Distribution API

    /// `GET /v2/<repo>/manifests/<reference>`; the digest is recomputed from the bytes, and when `reference` is a
    /// digest the bytes must hash to it.
    public func manifest(registry: String, repository: String, reference: String, deadline: UInt64)
        throws(RegistryError) -> Manifest
    {
        let response = try get(
            registry: registry, repository: repository, path: "/v2/\(repository)/manifests/\(reference)",
            accept: RegistryClient.manifestAccept, maxBytes: configuration.maxManifestBytes, deadline: deadline)
        let digest = "sha256:" + SHA256.hex(of: response.body)
        if reference.hasPrefix("sha256:") && digest != reference {
            throw RegistryError(
                .malformed, "\(registry) served manifest \(repository)@\(reference) whose bytes hash to \(digest)")
        }
        if let claimed = response.headers["Docker-Content-Digest"], claimed.hasPrefix("sha256:"), claimed != digest {
            throw RegistryError(
                .malformed, "\(registry) says \(repository):\(reference) is \(claimed) but its bytes hash to \(digest)")
        }
        let mediaType = response.headers["Content-Type"]?.split(separator: ";").first.map(String.init) ?? ""
        return Manifest(bytes: response.body, mediaType: mediaType, digest: digest)
    }

    /// `GET /v2/<repo>/blobs/<digest>`, bounded by `maxBlobBytes`. The caller checks the digest, since a mismatch
    /// is a verification failure it must report as such.
    public func blob(registry: String, repository: String, digest: String, deadline: UInt64) throws(RegistryError)
        -> [UInt8]
    {
        try get(
            registry: registry, repository: repository, path: "/v2/\(repository)/blobs/\(digest)", accept: "*/*",
            maxBytes: configuration.maxBlobBytes, isBlob: true, deadline: deadline
        ).body
    }

    /// `GET /v2/<repo>/referrers/<digest>`; `nil` when the registry does not implement the referrers API, so the
    /// caller falls back to the referrers tag. Registries without it answer 404, but also 400, 405 or 500 (and
    /// 501 says so outright); any of these falls back, since the tag lookup that follows still fails closed if the
    /// registry is really in trouble. A transport failure (timeout, reset, garbage) is thrown.
    public func referrers(registry: String, repository: String, digest: String, deadline: UInt64) throws(RegistryError)
        -> [UInt8]?
    {
        do {
            return try get(
                registry: registry, repository: repository, path: "/v2/\(repository)/referrers/\(digest)",
                accept: "application/vnd.oci.image.index.v1+json", maxBytes: configuration.maxManifestBytes,
                deadline: deadline
            ).body
        } catch  where error.kind == .notFound || RegistryClient.referrersAPIAbsent.contains(error.status ?? 0) {
            return nil
        }
    }

    static let referrersAPIAbsent: Set<Int> = [400, 405, 500, 501]

    // MARK: - Requests, auth and redirects

    private func get(
        registry: String, repository: String, path: String, accept: String, maxBytes: Int, isBlob: Bool = false,
        deadline: UInt64
    ) throws(RegistryError) -> HTTPClientResponse {
        let scope = "repository:\(repository):pull"
        let origin = HTTPEndpoint(registry, insecure: configuration.insecureRegistries.contains(registry))
        let redirects = RedirectCheck(registry: registry, origin: origin, isBlob: isBlob)
        var endpoint = origin
        var target = path
        var authorization = cachedToken(registry: registry, scope: scope).map { "Bearer \($0)" }
        var answeredChallenge = false
        for _ in 0..<6 {
            var headers = HTTPHeaders([("Accept", accept)])
            if let authorization, endpoint == origin {
                headers.add(name: "Authorization", value: authorization)
            }
            let response = try send(
                HTTPClientRequest(target: target, headers: headers), to: endpoint, registry: registry,
                maxBytes: maxBytes, deadline: deadline)
            switch response.status {
            case 200..<300:
                return response
            case 301, 302, 303, 307, 308:
                guard let location = response.headers["Location"],
                    let next = RegistryURL(location, relativeTo: endpoint)
                else { throw RegistryError(.malformed, "\(registry) redirected \(path) without a usable Location") }
                try redirects.check(next.endpoint, location: location, from: path)
                endpoint = next.endpoint
                target = next.target
            case 401 where !answeredChallenge:
                answeredChallenge = true
                authorization = try answer(
                    challenge: response.headers["WWW-Authenticate"] ?? "", registry: registry, scope: scope,
                    deadline: deadline)
            case 401, 403:
                throw RegistryError(
                    .unauthorized, "\(registry) refused \(path) (HTTP \(response.status)); check the pull credentials",
                    status: response.status)
            case 404:
                throw RegistryError(.notFound, "\(registry) has no \(path)", status: 404)
            case 429:
                throw RegistryError(.unavailable, "\(registry) is rate limiting (HTTP 429) on \(path)", status: 429)
            default:
                throw RegistryError(
                    .unavailable, "\(registry) answered HTTP \(response.status) for \(path)", status: response.status)
            }
        }
        throw RegistryError(.malformed, "\(registry) redirected \(path) too many times")
    }

    private func send(
        _ request: HTTPClientRequest, to endpoint: HTTPEndpoint, registry: String, maxBytes: Int, deadline: UInt64
    ) throws(RegistryError) -> HTTPClientResponse {
        let perRequest = DispatchTime.now().uptimeNanoseconds + configuration.requestTimeout.nanoseconds
        do {
            return try http.send(
                request, to: endpoint, maxBodyBytes: maxBytes, deadlineNanos: min(deadline, perRequest))
        } catch {
            let kind: RegistryError.Kind =
                switch error.kind {
                case .timeout: .timeout
                case .tooLarge: .tooLarge
                case .protocolViolation: .malformed
                case .connect, .tls: .unavailable
                }
            throw RegistryError(kind, "registry \(registry): \(error.description) (GET \(request.target))")
        }
    }

    /// Answers a `WWW-Authenticate` challenge: Basic with configured credentials, or Bearer by fetching a token from
    /// the realm (with the basic credentials, when there are any). Returns the `Authorization` value to retry with.
    private func answer(challenge: String, registry: String, scope: String, deadline: UInt64) throws(RegistryError)
        -> String
    {
        let basic = credentials.basicHeader(for: registry)
        let lower = challenge.lowercased()
        if lower.hasPrefix("basic") {
            guard let basic else {
                throw RegistryError(.unauthorized, "\(registry) requires credentials and none are configured")
            }
            return basic
        }
        guard lower.hasPrefix("bearer") else {
            throw RegistryError(
                .unauthorized, "\(registry) asked for an unsupported authentication scheme: \(challenge)")
        }
        let parameters = RegistryClient.challengeParameters(String(challenge.dropFirst(6)))
        guard let realm = parameters["realm"] else {
            throw RegistryError(.unauthorized, "\(registry)'s Bearer challenge has no realm: \(challenge)")
        }
        let realmURL = try TokenRealmCheck(registry: registry, allowedHosts: configuration.tokenRealms[registry] ?? [])
            .check(realm: realm)
        var query = [("scope", parameters["scope"] ?? scope)]
        if let service = parameters["service"] { query.insert(("service", service), at: 0) }
        let target =
            realmURL.target + (realmURL.target.contains("?") ? "&" : "?")
            + query.map { "\($0.0)=\(RegistryClient.percentEncoded($0.1))" }.joined(separator: "&")
        var headers = HTTPHeaders([("Accept", "application/json")])
        if let basic { headers.add(name: "Authorization", value: basic) }
        let response = try send(
            HTTPClientRequest(target: target, headers: headers), to: realmURL.endpoint,
            registry: registry, maxBytes: 64 * 1024, deadline: deadline)
        guard response.status == 200 else {
            throw RegistryError(
                .unauthorized, "the token service \(realmURL.endpoint) for \(registry) answered HTTP \(response.status)"
            )
        }
        guard let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let token = (json["token"] as? String) ?? (json["access_token"] as? String), !token.isEmpty
        else { throw RegistryError(.malformed, "the token service \(realmURL.endpoint) for \(registry) sent no token") }
        let lifetime = UInt64(max(10, min((json["expires_in"] as? Int) ?? 60, 3600)))
        let expires = DispatchTime.now().uptimeNanoseconds + (lifetime - 5) * 1_000_000_000
        tokens.withLock { $0["\(registry) \(scope)"] = (token, expires) }
        return "Bearer \(token)"
    }

    private func cachedToken(registry: String, scope: String) -> String? {
        let now = DispatchTime.now().uptimeNanoseconds
        return tokens.withLock { cache in
            guard let entry = cache["\(registry) \(scope)"], entry.expires > now else { return nil }
            return entry.token
        }
    }

    /// `realm="https://auth",service="registry",scope="repository:a:pull"` → dictionary (quoted values may hold commas).
    static func challengeParameters(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var rest = Substring(text)
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let equals = rest.firstIndex(of: "=") else { return result }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...]
            if rest.first == "\"" {
                rest = rest.dropFirst()
                let end = rest.firstIndex(of: "\"") ?? rest.endIndex
                result[key] = String(rest[..<end])
                rest = end < rest.endIndex ? rest[rest.index(after: end)...] : rest[end...]
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                result[key] = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
        }
    }

    static func percentEncoded(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

extension HTTPEndpoint {
    /// The endpoint of registry `host[:port]`, HTTPS unless the registry is marked insecure.
    init(_ registry: String, insecure: Bool) {
        let url = RegistryURL((insecure ? "http://" : "https://") + registry, relativeTo: nil)
        self = url?.endpoint ?? HTTPEndpoint(useTLS: !insecure, host: registry)
    }
}

/// An absolute `http(s)://host[:port]/path` URL (a redirect `Location` or a token realm), or a path relative to the
/// current endpoint.
struct RegistryURL {
    let endpoint: HTTPEndpoint
    let target: String

    init?(_ text: String, relativeTo base: HTTPEndpoint?) {
        if text.hasPrefix("/"), let base {
            endpoint = base
            target = text
            return
        }
        let useTLS: Bool
        if text.hasPrefix("https://") {
            useTLS = true
        } else if text.hasPrefix("http://") {
            useTLS = false
        } else {
            return nil
        }
        let rest = text.dropFirst(useTLS ? 8 : 7)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let path = rest.dropFirst(authority.count)
        var host = Substring(authority)
        var port: Int?
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            guard let value = Int(authority[authority.index(after: colon)...]), (1...65535).contains(value) else {
                return nil
            }
            port = value
            host = authority[..<colon]
        }
        host = host.hasPrefix("[") ? host.dropFirst().dropLast() : host
        guard !host.isEmpty else { return nil }
        endpoint = HTTPEndpoint(useTLS: useTLS, host: String(host), port: port)
        target = path.isEmpty ? "/" : (path.hasPrefix("?") ? "/" + path : String(path))
    }
}
