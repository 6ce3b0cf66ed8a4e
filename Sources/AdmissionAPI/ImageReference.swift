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
/// - 64 hex digits alone are an image ID, not a name;
/// - path components are `[a-z0-9]+` joined by `.`, `_`, `__` or dashes: no `..`, no empty components.
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
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

    /// `domain/path` and `tag`/`digest` as written back: the normalised spelling of the reference.
    public var description: String { repository + (tag.map { ":" + $0 } ?? "") + (digest.map { "@" + $0 } ?? "") }

    /// The same repository pinned to `digest`, tag dropped: what a tag resolves to.
    public func pinned(to digest: String) -> ImageReference {
        ImageReference(domain: domain, path: path, tag: nil, digest: digest)
    }

    /// Whether `value` is `sha256:` and 64 lower-case hex digits, the only digest form a signature can bind.
    public static func isSHA256Digest(_ value: String) -> Bool {
        let hex = value.utf8.dropFirst(7)
        return value.hasPrefix("sha256:") && hex.count == 64 && hex.allSatisfy(isHexDigit)
    }

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

    /// Parses and normalises `text`. Works on the UTF-8 bytes: it runs for every container of every
    /// admission request.
    public static func parse(_ text: String) throws(ParseError) -> ImageReference {
        var text = text
        return try text.withUTF8 { bytes in Result { () throws(ParseError) in try parse(bytes) } }.get()
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> ImageReference {
        guard !bytes.isEmpty else { throw ParseError(reason: "the image is empty") }
        guard bytes.count <= 4096 else { throw ParseError(reason: "the image is longer than 4096 bytes") }
        // Runtimes refuse such a name as a reference and may look it up as the ID of an image already on the node,
        // which no registry or signature check would then have seen.
        guard bytes.count != 64 || !bytes.allSatisfy(isHexDigit) else {
            throw ParseError(reason: "the image is 64 hex digits, an image ID; name the image by repository and digest")
        }
        var end = bytes.count
        var digest: String?
        if let at = bytes.firstIndex(of: UInt8(ascii: "@")) {
            try validateDigest(bytes, at + 1..<bytes.count)
            digest = string(bytes, at + 1..<bytes.count)
            end = at
        }
        var tag: String?
        var lastSlash = -1
        var lastColon = -1
        for index in 0..<end {
            if bytes[index] == UInt8(ascii: "/") { lastSlash = index }
            if bytes[index] == UInt8(ascii: ":") { lastColon = index }
        }
        if lastColon > lastSlash {
            let value = string(bytes, lastColon + 1..<end)
            try validateTag(value)
            tag = value
            end = lastColon
        }
        guard end > 0 else { throw ParseError(reason: "the image has no repository name") }
        var domain = "docker.io"
        var pathStart = 0
        if let slash = bytes[0..<end].firstIndex(of: UInt8(ascii: "/")) {
            let first = bytes[0..<slash]
            let looksLikeHost =
                first.contains(UInt8(ascii: ".")) || first.contains(UInt8(ascii: ":"))
                || first.elementsEqual("localhost".utf8) || first.contains(where: isUpper)
            if looksLikeHost {
                try validateDomain(bytes, 0..<slash)
                let host = string(bytes, 0..<slash)
                domain = host == "index.docker.io" ? "docker.io" : host
                pathStart = slash + 1
            }
        }
        var componentStart = pathStart
        var components = 0
        for index in pathStart...end where index == end || bytes[index] == UInt8(ascii: "/") {
            try validatePathComponent(bytes, componentStart..<index)
            components += 1
            componentStart = index + 1
        }
        var path = string(bytes, pathStart..<end)
        if domain == "docker.io" && components == 1 { path = "library/" + path }
        guard domain.utf8.count + 1 + path.utf8.count <= 255 else {
            throw ParseError(reason: "the repository name is longer than 255 characters")
        }
        return ImageReference(domain: domain, path: path, tag: tag, digest: digest)
    }

    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private static func isUpper(_ byte: UInt8) -> Bool { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) }

    /// Parses an allowed-registry entry of a policy: a host, optionally followed by a path prefix
    /// (`registry.internal`, `registry.internal/ephi`); no tag, no digest, nothing implicit.
    public static func parseRegistryPrefix(_ text: String) throws(ParseError) -> String {
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
        for component in components.dropFirst() {
            var component = String(component)
            try component.withUTF8 { bytes in
                Result { () throws(ParseError) in try validatePathComponent(bytes, 0..<bytes.count) }
            }.get()
        }
        return text
    }

    /// True when `repository` is `prefix` itself or lies under it at a path-segment boundary, so an
    /// entry `registry.internal/ephi` allows `registry.internal/ephi/x` but not `registry.internal/ephi-x`.
    public static func repository(_ repository: String, isUnder prefix: String) -> Bool {
        guard repository.hasPrefix(prefix) else { return false }
        return repository.utf8.count == prefix.utf8.count
            || repository.utf8[repository.utf8.index(repository.utf8.startIndex, offsetBy: prefix.utf8.count)]
                == UInt8(ascii: "/")
    }

    /// `host[:port]`, the host a DNS name (labels of letters, digits and inner dashes) or a bracketed IPv6
    /// literal, all in lower case.
    private static func validateDomain(_ domain: Substring) throws(ParseError) {
        var text = String(domain)
        try text.withUTF8 { bytes in Result { () throws(ParseError) in try validateDomain(bytes, 0..<bytes.count) } }
            .get()
    }

    /// ``validateDomain(_:)`` on the bytes in `range`, without copying them: it runs for every image of every
    /// admission request that names a registry.
    private static func validateDomain(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(ParseError) {
        let domain = UnsafeBufferPointer(rebasing: bytes[range])
        func text() -> String { String(decoding: domain, as: UTF8.self) }
        var hostEnd = domain.count
        if let colon = domain.lastIndex(of: UInt8(ascii: ":")), domain.last != UInt8(ascii: "]") {
            let port = domain[(colon + 1)...]
            guard !port.isEmpty, port.count <= 5, port.allSatisfy(isDigit) else {
                throw ParseError(reason: "registry \"\(text())\" has an invalid port")
            }
            hostEnd = colon
        }
        let host = domain[..<hostEnd]
        guard !host.contains(where: isUpper) else {
            throw ParseError(reason: "registry host \"\(text())\" contains upper case; write it in lower case")
        }
        if host.first == UInt8(ascii: "[") {
            let inner = host.dropFirst().dropLast()
            guard host.last == UInt8(ascii: "]"), !inner.isEmpty,
                inner.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") })
            else { throw ParseError(reason: "registry host \"\(text())\" is not a valid IPv6 literal") }
            return
        }
        // Each dot-separated label: [a-z0-9] at both ends, [a-z0-9-] between (an empty label fails the first test).
        var labelStart = 0
        for index in 0...hostEnd where index == hostEnd || domain[index] == UInt8(ascii: ".") {
            let label = domain[labelStart..<index]
            guard let first = label.first, let last = label.last, isLowerAlphanumeric(first), isLowerAlphanumeric(last),
                label.allSatisfy({ isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") })
            else { throw ParseError(reason: "registry host \"\(text())\" is not a valid host name") }
            labelStart = index + 1
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// `[a-z0-9]+` separated by `.`, `_`, `__` or one or more `-`.
    private static func validatePathComponent(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>
    ) throws(ParseError) {
        func fail() -> ParseError {
            let component = string(bytes, range)
            if component.lowercased() != component {
                return ParseError(
                    reason: "repository path \"\(component)\" contains upper case; names must be lowercase")
            }
            return ParseError(
                reason:
                    "repository path component \"\(component)\" must be [a-z0-9]+ joined by '.', '_', '__' or dashes")
        }
        guard !range.isEmpty, isLowerAlphanumeric(bytes[range.lowerBound]),
            isLowerAlphanumeric(bytes[range.upperBound - 1])
        else { throw fail() }
        var index = range.lowerBound
        while index < range.upperBound {
            if isLowerAlphanumeric(bytes[index]) {
                index += 1
                continue
            }
            var end = index
            while end < range.upperBound, !isLowerAlphanumeric(bytes[end]) { end += 1 }
            let separator = UnsafeBufferPointer(rebasing: bytes[index..<end])
            let valid =
                separator.elementsEqual(".".utf8) || separator.elementsEqual("_".utf8)
                || separator.elementsEqual("__".utf8) || separator.allSatisfy { $0 == UInt8(ascii: "-") }
            guard valid else { throw fail() }
            index = end
        }
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    private static func validateTag(_ tag: String) throws(ParseError) {
        let bytes = Array(tag.utf8)
        func isWord(_ byte: UInt8) -> Bool {
            isLowerAlphanumeric(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
        guard let first = bytes.first, isWord(first), bytes.count <= 128,
            bytes.allSatisfy({ isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else { throw ParseError(reason: "tag \"\(tag)\" is not a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})") }
    }

    /// `algorithm:hex` with a registered algorithm and the exact length of lowercase hex it needs.
    private static func validateDigest(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(ParseError) {
        let digest = UnsafeBufferPointer(rebasing: bytes[range])
        guard let colon = digest.firstIndex(of: UInt8(ascii: ":")) else {
            throw ParseError(
                reason: "digest \"\(string(bytes, range))\" has no algorithm (expected sha256:<64 lowercase hex>)")
        }
        let algorithm = UnsafeBufferPointer(rebasing: digest[..<colon])
        let hex = UnsafeBufferPointer(rebasing: digest[(colon + 1)...])
        let length: Int
        if algorithm.elementsEqual("sha256".utf8) {
            length = 64
        } else if algorithm.elementsEqual("sha384".utf8) {
            length = 96
        } else if algorithm.elementsEqual("sha512".utf8) {
            length = 128
        } else {
            let name = String(decoding: algorithm, as: UTF8.self)
            throw ParseError(reason: "digest algorithm \"\(name)\" is not sha256, sha384 or sha512")
        }
        guard hex.count == length, hex.allSatisfy(isHexDigit) else {
            let name = String(decoding: algorithm, as: UTF8.self)
            throw ParseError(
                reason: "digest \"\(string(bytes, range))\" is malformed: \(name) needs \(length) lowercase hex digits")
        }
    }
}
