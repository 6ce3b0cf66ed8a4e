import HTTPTransport

/// Where a registry's Bearer challenge may send the pull credentials.
///
/// The registry names the token realm itself, so without this check a registry (or whoever can answer for it)
/// could collect the basic credentials by naming any URL. The realm must be https, and on the registry's own host
/// name (any port: token services often sit next to the registry) or listed in the policy's
/// `registries.HOST.tokenRealms` as `host[:port]` (port 443 when omitted).
struct TokenRealmCheck {
    let registry: String
    let allowedHosts: Set<String>

    /// The realm as a URL to ask, or why the credentials may not go there.
    func check(realm: String) throws(RegistryError) -> RegistryURL {
        guard let url = RegistryURL(realm, relativeTo: nil) else {
            throw RegistryError(.malformed, "registry \(registry) names a token realm that is not a URL: \(realm)")
        }
        guard url.endpoint.useTLS else {
            throw RegistryError(
                .refused,
                "registry \(registry) names token realm \(realm), which is not https; the pull credentials are only "
                    + "sent to an https realm")
        }
        let registryHost = HTTPEndpoint(registry, insecure: false).host
        guard url.endpoint.host == registryHost || allowedHosts.contains(url.endpoint.authority) else {
            let listed =
                allowedHosts.isEmpty ? "none listed" : "listed: " + allowedHosts.sorted().joined(separator: ", ")
            throw RegistryError(
                .refused,
                "registry \(registry) names token realm \(realm) on host \(url.endpoint.authority); the pull "
                    + "credentials are only sent to a realm on \(registryHost) or one in "
                    + "registries.\"\(registry)\".tokenRealms (\(listed))")
        }
        return url
    }
}
