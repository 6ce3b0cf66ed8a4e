/// A model URI split into the place it names and the version that pins it, per scheme:
/// `hf://org/model@<commit>`, `s3://bucket/key?versionId=<id>`, `gs://bucket/object#<generation>`. `pvc://` and
/// `https://` have no version a pod spec can name.
struct ModelURI {
    var scheme: String
    /// The URI without its version, compared against the class's sources.
    var location: String
    /// The version text after `@`, `?versionId=` or `#`; nil when the URI names none.
    var version: String?

    /// Why a URI cannot be judged at all, for the message.
    struct Problem: Error {
        var reason: String
    }

    static func parse(_ uri: String) throws(Problem) -> ModelURI {
        guard let separator = uri.range(of: "://"), !uri[separator.upperBound...].isEmpty else {
            throw Problem(reason: "it is not a URI (scheme://location)")
        }
        let scheme = String(uri[..<separator.lowerBound])
        guard ModelSources.schemes.contains(scheme) else {
            throw Problem(reason: "scheme \(scheme.quotedForMessage) is not a model source Portcullis can judge")
        }
        guard !uri.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "\\" || $0.value == 0x7F }),
            !hasDotSegment(uri)
        else { throw Problem(reason: "it contains white space, a backslash, or a . or .. path segment") }
        let marker: String? =
            switch scheme {
            case "hf": "@"
            case "s3": "?versionId="
            case "gs": "#"
            default: nil
            }
        guard let marker, let range = uri.range(of: marker) else {
            return ModelURI(scheme: scheme, location: uri, version: nil)
        }
        return ModelURI(
            scheme: scheme, location: String(uri[..<range.lowerBound]), version: String(uri[range.upperBound...]))
    }

    /// True when a path segment is `.` or `..`: an object store may resolve it and escape the allowed prefix.
    static func hasDotSegment(_ uri: String) -> Bool {
        uri.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == "." || $0 == ".." }
    }

    /// True when `location` lies under `source` at a path-segment boundary (a trailing `/` on the source is one).
    func isUnder(_ source: String) -> Bool {
        if source.hasSuffix("/") { return location.hasPrefix(source) }
        return location == source || location.hasPrefix(source + "/")
    }

    /// Whether the version is an immutable one, and the form that would be, for the message.
    var pinning: (pinned: Bool, form: String) {
        let text = version ?? ""
        switch scheme {
        case "hf":
            let isCommit =
                text.utf8.count == 40
                && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
            return (isCommit, "hf://org/model@<40-hex commit>")
        case "s3":
            return (!text.isEmpty && !text.contains("&"), "s3://bucket/key?versionId=<object version>")
        case "gs":
            return (
                !text.isEmpty && text.utf8.allSatisfy { (0x30...0x39).contains($0) }, "gs://bucket/object#<generation>"
            )
        default:
            return (false, "a source that can be pinned (oci:// by digest, hf://, s3:// or gs:// with a version)")
        }
    }
}
