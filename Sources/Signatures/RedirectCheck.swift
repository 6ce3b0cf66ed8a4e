import HTTPTransport

/// Which redirects a registry request follows.
///
/// Never another scheme: an https registry redirecting to http would hand the answer to anyone on the path (and
/// an http registry redirecting to https is a registry misconfigured for the scheme the policy names). Another host
/// only for blobs: a blob is content-addressed and its digest is checked after download, so where it comes from
/// cannot change what is verified, and registries legitimately send blob downloads to a storage host (S3, a CDN).
/// Manifests, tags and referrer lists decide *which* digests are checked, so they must come from the registry the
/// class allows. Credentials are sent only to the registry's own origin (scheme, host and port), never after a
/// redirect elsewhere; that rule lives with the request loop in `RegistryClient`.
struct RedirectCheck {
    let registry: String
    let origin: HTTPEndpoint
    /// Whether the request is a blob download, which may be served by another host.
    let isBlob: Bool

    func check(_ next: HTTPEndpoint, location: String, from path: String) throws(RegistryError) {
        if next.useTLS != origin.useTLS {
            throw RegistryError(
                .refused,
                "registry \(registry) redirected GET \(path) to \(location); redirects keep the scheme "
                    + "(\(origin.useTLS ? "https" : "http")), and never from https to http")
        }
        if next != origin && !isBlob {
            throw RegistryError(
                .refused,
                "registry \(registry) redirected GET \(path) to \(location), another host; only blob downloads may be "
                    + "served by another host, manifests and referrers must come from \(origin)")
        }
    }
}
