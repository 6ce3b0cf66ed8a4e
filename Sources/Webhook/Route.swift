import HTTPTransport

/// The webhook's URL space. Parsing is separate from handling so every path and method
/// combination can be table-tested without a server.
///
/// The API server appends `?timeout=10s` to the configured path, so routing looks only at
/// `HTTPRequest.path`. `/validate/<class>` carries the data class the webhook configuration chose
/// from the namespace label; `/validate` leaves the choice to the policy's namespace map. `/validate/<class>/` is the
/// same path, and a class-shaped name in another case reaches the policy, which denies it as an unknown class.
public enum Route: Equatable, Sendable {
    case validate(className: String?)
    case health
    case ready
    case metrics

    /// The route for `request`, or the error to answer with (404 unknown path, 405 wrong method).
    public static func resolve(_ request: HTTPRequest) -> Result<Route, WebhookError> {
        let (route, allowed): (Route, String)
        switch request.path {
        case "/healthz": (route, allowed) = (.health, "GET")
        case "/readyz": (route, allowed) = (.ready, "GET")
        case "/metrics": (route, allowed) = (.metrics, "GET")
        case "/validate", "/validate/": (route, allowed) = (.validate(className: nil), "POST")
        case let path where path.hasPrefix("/validate/"):
            // A trailing slash names the same class; a name in the wrong case (`EPHI`) is routed so that the policy
            // denies it as `unknown-class`, listing the defined classes, as docs/POLICY.md promises.
            var className = String(path.dropFirst("/validate/".count))
            if className.utf8.last == UInt8(ascii: "/") { className.removeLast() }
            guard isClassName(className.lowercased()) else {
                return .failure(
                    WebhookError(
                        status: 404,
                        message:
                            "no such path \(quoted(path)): a data class in /validate/<class> is a lowercase DNS label"))
            }
            (route, allowed) = (.validate(className: className), "POST")
        default:
            return .failure(
                WebhookError(
                    status: 404,
                    message:
                        "no such path \(quoted(request.path)); Portcullis serves POST /validate, POST /validate/<class>, GET /healthz, GET /readyz, GET /metrics"
                ))
        }
        // HEAD is GET without the body (the transport leaves it out): load balancers and probes use it.
        guard request.method == allowed || (allowed == "GET" && request.method == "HEAD") else {
            return .failure(
                WebhookError(
                    status: 405,
                    message: "method \(quoted(request.method)) is not allowed on \(request.path); use \(allowed)",
                    headers: ["Allow": allowed == "GET" ? "GET, HEAD" : allowed]))
        }
        return .success(route)
    }

    /// Class names are path segments and label values: lowercase alphanumerics and '-', 1–63 characters.
    static func isClassName(_ s: String) -> Bool {
        guard (1...63).contains(s.utf8.count), s.utf8.first != UInt8(ascii: "-"), s.utf8.last != UInt8(ascii: "-")
        else { return false }
        return s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") }
    }

    /// Quotes a client-supplied value for a message, cut short so a hostile path cannot flood the log.
    static func quoted(_ s: String) -> String {
        let cut = s.count > 80 ? String(s.prefix(80)) + "…" : s
        return "\"" + cut.unicodeScalars.map { $0.value < 0x20 || $0 == "\"" ? "?" : String($0) }.joined() + "\""
    }
}
