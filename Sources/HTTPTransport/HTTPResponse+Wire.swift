#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension HTTPResponse {
    /// Header fields the transport owns: a handler's own values would break the framing.
    private static let transportFields = ["Content-Length", "Transfer-Encoding", "Connection", "Date"]

    /// The bytes to send: status line, the handler's headers, then the framing fields the transport owns.
    ///
    /// - Parameters:
    ///   - keepAlive: whether the connection stays open after this response (`Connection` header).
    ///   - includeBody: false for `HEAD`, which gets the length of the body it would have had.
    ///   - date: the `Date` value, passed in so tests can pin it.
    func serialized(keepAlive: Bool, includeBody: Bool, date: String) -> [UInt8] {
        // Appended piece by piece (small strings need no allocation), not interpolated: this runs for every response.
        var out: [UInt8] = []
        out.reserveCapacity(256 + body.count)
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        out.append(contentsOf: String(status).utf8)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: Self.reasonPhrase(status).utf8)
        out.append(contentsOf: "\r\n".utf8)
        for field in headers where !Self.transportFields.contains(where: field.name.caseInsensitiveEquals) {
            // A handler cannot inject a header or split the response with CR/LF in a value.
            guard !field.name.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: ":") }),
                !field.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A })
            else { continue }
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        let bodyless = status == 204 || status == 304 || (100..<200).contains(status)
        if !bodyless {
            out.append(contentsOf: "Content-Length: ".utf8)
            out.append(contentsOf: String(body.count).utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "Date: ".utf8)
        out.append(contentsOf: date.utf8)
        out.append(
            contentsOf: keepAlive ? "\r\nConnection: keep-alive\r\n\r\n".utf8 : "\r\nConnection: close\r\n\r\n".utf8)
        if includeBody && !bodyless { out.append(contentsOf: body) }
        return out
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}

/// The `Date` header value (RFC 9110 §5.6.7 IMF-fixdate) for a UNIX time.
func httpDate(_ seconds: time_t) -> String {
    var t = seconds
    var parts = tm()
    gmtime_r(&t, &parts)
    let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
        + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
}

/// `httpDate` of the current second, formatted once a second instead of once a response: one I/O thread
/// keeps one, so it needs no lock.
struct HTTPDateCache {
    private var second: time_t = -1
    private var text = ""

    mutating func value(at now: time_t) -> String {
        if now != second {
            second = now
            text = httpDate(now)
        }
        return text
    }
}
