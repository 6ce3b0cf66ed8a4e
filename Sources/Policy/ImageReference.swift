/// A container image reference, normalised exactly as container runtimes resolve it (the grammar and
/// rules of distribution/reference `ParseNormalizedNamed`), so the registry a check sees is the registry
/// the node will pull from:
/// - no host (`pytorch/pytorch`) means `docker.io`, and a single path component gets `library/`;
/// - the first component is a host only if it contains `.` or `:` or is `localhost`;
///   `index.docker.io` is `docker.io`;
/// - a port is part of the registry's identity (`registry.internal:5000` is not `registry.internal`);
/// - upper case in the name is refused (runtimes refuse it in the path; in the host it would only make
///   a look-alike of an allowed host);
/// - `@` only introduces a digest, so `registry.internal@evil.io/x` is invalid, not userinfo;
/// - path components are `[a-z0-9]+` joined by `.`, `_`, `__` or dashes: no `..`, no empty components.
public struct ImageReference: Sendable, Equatable {
    /// The registry host with its port, lower case: `docker.io`, `registry.internal:5000`, `[::1]:5000`.
    public var domain: String
    /// The repository path inside the registry: `library/nginx`, `ephi/trainer`.
    public var path: String
    public var tag: String?
    /// `algorithm:hex`, e.g. `sha256:…`.
    public var digest: String?

    /// `domain/path`, the name registries and exemptions are matched against.
    public var repository: String { domain + "/" + path }

    /// True when the reference carries a `sha256` digest (the only pin the digest rule accepts).
    public var isPinnedBySHA256: Bool { digest?.hasPrefix("sha256:") ?? false }

    public init(domain: String, path: String, tag: String? = nil, digest: String? = nil) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// Why an image string is not a valid reference.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    public static func parse(_ text: String) throws(ParseError) -> ImageReference {
        guard !text.isEmpty else { throw ParseError(reason: "the image is empty") }
        guard text.utf8.count <= 4096 else { throw ParseError(reason: "the image is longer than 4096 bytes") }
        var rest = Substring(text)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let value = String(rest[rest.index(after: at)...])
            try validateDigest(value)
            digest = value
            rest = rest[..<at]
        }
        var tag: String?
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let value = String(rest[rest.index(after: colon)...])
            try validateTag(value)
            tag = value
            rest = rest[..<colon]
        }
        let (domain, path) = try splitName(rest)
        return ImageReference(domain: domain, path: path, tag: tag, digest: digest)
    }

    /// Parses an allowed-registry entry of a policy: a host, optionally followed by a path prefix
    /// (`registry.internal`, `registry.internal/ephi`); no tag, no digest, nothing implicit.
    static func parseRegistryPrefix(_ text: String) throws(ParseError) -> String {
        guard !text.isEmpty else { throw ParseError(reason: "the entry is empty") }
        if text.contains("@") || text.contains("://") {
            throw ParseError(reason: "write a registry host and optional path, without scheme, tag or digest")
        }
        let components = text.split(separator: "/", omittingEmptySubsequences: false)
        let host = components[0]
        guard host.contains(".") || host.contains(":") || host == "localhost" else {
            throw ParseError(reason: "\"\(host)\" is not a registry host (a host contains '.' or ':' or is localhost)")
        }
        guard host != "index.docker.io" else { throw ParseError(reason: "write docker.io, not index.docker.io") }
        try validateDomain(host)
        for component in components.dropFirst() { try validatePathComponent(component) }
        return text
    }

    /// True when `repository` is `prefix` itself or lies under it at a path-segment boundary, so an
    /// entry `registry.internal/ephi` allows `registry.internal/ephi/x` but not `registry.internal/ephi-x`.
    static func repository(_ repository: String, isUnder prefix: String) -> Bool {
        guard repository.hasPrefix(prefix) else { return false }
        return repository.utf8.count == prefix.utf8.count
            || repository.utf8[repository.utf8.index(repository.utf8.startIndex, offsetBy: prefix.utf8.count)]
                == UInt8(ascii: "/")
    }

    private static func splitName(_ name: Substring) throws(ParseError) -> (String, String) {
        guard !name.isEmpty else { throw ParseError(reason: "the image has no repository name") }
        var domain = "docker.io"
        var remainder = name
        if let slash = name.firstIndex(of: "/") {
            let first = name[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                try validateDomain(first)
                domain = first == "index.docker.io" ? "docker.io" : String(first)
                remainder = name[name.index(after: slash)...]
            }
        }
        let components = remainder.split(separator: "/", omittingEmptySubsequences: false)
        for component in components { try validatePathComponent(component) }
        var path = String(remainder)
        if domain == "docker.io" && components.count == 1 { path = "library/" + path }
        guard domain.utf8.count + 1 + path.utf8.count <= 255 else {
            throw ParseError(reason: "the repository name is longer than 255 characters")
        }
        return (domain, path)
    }

    private static func validateDomain(_ domain: Substring) throws(ParseError) {
        var host = domain
        if let colon = domain.lastIndex(of: ":"), !domain.hasSuffix("]") {
            let port = domain[domain.index(after: colon)...]
            guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw ParseError(reason: "registry \"\(domain)\" has an invalid port")
            }
            host = domain[..<colon]
        }
        guard host.lowercased() == host else {
            throw ParseError(reason: "registry host \"\(host)\" contains upper case; write it in lower case")
        }
        if host.hasPrefix("[") {
            let inner = host.dropFirst().dropLast()
            guard host.hasSuffix("]"), !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" }) else {
                throw ParseError(reason: "registry host \"\(host)\" is not a valid IPv6 literal")
            }
            return
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard let first = label.first, let last = label.last, isAlphanumeric(first), isAlphanumeric(last),
                label.allSatisfy({ isAlphanumeric($0) || $0 == "-" })
            else { throw ParseError(reason: "registry host \"\(host)\" is not a valid host name") }
        }
    }

    private static func isAlphanumeric(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber)
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// `[a-z0-9]+` separated by `.`, `_`, `__` or one or more `-`.
    private static func validatePathComponent(_ component: Substring) throws(ParseError) {
        let bytes = Array(component.utf8)
        guard let first = bytes.first, let last = bytes.last, isLowerAlphanumeric(first), isLowerAlphanumeric(last)
        else {
            if component.lowercased() != component {
                throw ParseError(reason: "repository path \"\(component)\" contains upper case; names must be lowercase")
            }
            throw ParseError(reason: "repository path component \"\(component)\" is empty or does not start and end with [a-z0-9]")
        }
        var index = 0
        while index < bytes.count {
            if isLowerAlphanumeric(bytes[index]) {
                index += 1
                continue
            }
            var end = index
            while end < bytes.count, !isLowerAlphanumeric(bytes[end]) { end += 1 }
            let separator = String(decoding: bytes[index..<end], as: UTF8.self)
            guard separator == "." || separator == "_" || separator == "__" || separator.allSatisfy({ $0 == "-" }) else {
                if separator.lowercased() != separator || component.lowercased() != component {
                    throw ParseError(reason: "repository path \"\(component)\" contains upper case; names must be lowercase")
                }
                throw ParseError(reason: "repository path component \"\(component)\" contains \"\(separator)\"")
            }
            index = end
        }
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    private static func validateTag(_ tag: String) throws(ParseError) {
        let bytes = Array(tag.utf8)
        func isWord(_ byte: UInt8) -> Bool {
            isLowerAlphanumeric(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "_")
        }
        guard let first = bytes.first, isWord(first), bytes.count <= 128,
            bytes.allSatisfy({ isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else { throw ParseError(reason: "tag \"\(tag)\" is not a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})") }
    }

    /// `algorithm:hex` with a registered algorithm and the exact length of lowercase hex it needs.
    private static func validateDigest(_ digest: String) throws(ParseError) {
        guard let colon = digest.firstIndex(of: ":") else {
            throw ParseError(reason: "digest \"\(digest)\" has no algorithm (expected sha256:<64 lowercase hex>)")
        }
        let algorithm = digest[..<colon]
        let hex = digest[digest.index(after: colon)...]
        let length: Int
        switch algorithm {
        case "sha256": length = 64
        case "sha384": length = 96
        case "sha512": length = 128
        default: throw ParseError(reason: "digest algorithm \"\(algorithm)\" is not sha256, sha384 or sha512")
        }
        let isLowerHex = hex.utf8.allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
        }
        guard hex.utf8.count == length, isLowerHex else {
            throw ParseError(reason: "digest \"\(digest)\" is malformed: \(algorithm) needs \(length) lowercase hex digits")
        }
    }
}
