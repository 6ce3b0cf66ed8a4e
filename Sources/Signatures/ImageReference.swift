/// A container image reference, normalised the way the container runtime resolves it.
///
/// `nginx` and `docker.io/library/nginx:latest` name the same repository; authorities, identity rules and cache
/// keys must see one spelling, or a pattern written for one would silently miss the other.
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    /// Registry host with optional port, e.g. `registry.internal:5000`; Docker Hub is `docker.io`.
    public let registry: String
    /// Repository path within the registry, e.g. `library/nginx`.
    public let repository: String
    public let tag: String?
    /// `sha256:` plus 64 lower-case hex digits, when the reference pins one.
    public let digest: String?

    /// `registry/repository`: what image patterns and identity rules look at.
    public var name: String { "\(registry)/\(repository)" }

    public var description: String {
        name + (tag.map { ":\($0)" } ?? "") + (digest.map { "@\($0)" } ?? "")
    }

    /// Parses and normalises `reference`; the error says which part is malformed.
    public init(parsing reference: String) throws(ImageReferenceError) {
        var rest = Substring(reference)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let value = String(rest[rest.index(after: at)...])
            guard ImageReference.isDigest(value) else {
                throw ImageReferenceError(reference, "the digest \"\(value)\" is not sha256: followed by 64 hex digits")
            }
            digest = value
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let value = String(rest[rest.index(after: colon)...])
            guard ImageReference.isTag(value) else { throw ImageReferenceError(reference, "the tag \"\(value)\" is not valid") }
            tag = value
            rest = rest[..<colon]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var registry = "docker.io"
        if components.count > 1, let first = components.first,
            first.contains(".") || first.contains(":") || first == "localhost"
        {
            registry = first.lowercased() == "index.docker.io" ? "docker.io" : first.lowercased()
            components.removeFirst()
        }
        if registry == "docker.io" && components.count == 1 { components.insert("library", at: 0) }
        guard !components.isEmpty, components.allSatisfy(ImageReference.isPathComponent) else {
            throw ImageReferenceError(
                reference, "the repository \"\(components.joined(separator: "/"))\" must be lower-case path components")
        }
        self.registry = registry
        self.repository = components.joined(separator: "/")
        self.tag = tag
        self.digest = digest
    }

    /// The same repository pinned to `digest`, tag dropped.
    public func pinned(to digest: String) -> ImageReference {
        ImageReference(registry: registry, repository: repository, tag: nil, digest: digest)
    }

    private init(registry: String, repository: String, tag: String?, digest: String?) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Whether `value` is `sha256:` and 64 lower-case hex digits, the only digest form Portcullis trusts.
    public static func isDigest(_ value: String) -> Bool {
        let hex = value.utf8.dropFirst(7)
        return value.hasPrefix("sha256:") && hex.count == 64
            && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func isTag(_ value: String) -> Bool {
        guard let first = value.utf8.first, value.utf8.count <= 128, first != UInt8(ascii: "."), first != UInt8(ascii: "-")
        else { return false }
        return value.utf8.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isPathComponent(_ value: String) -> Bool {
        guard let first = value.utf8.first, let last = value.utf8.last, isLowerAlnum(first), isLowerAlnum(last) else {
            return false
        }
        return value.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isLowerAlnum(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) || (0x61...0x7a).contains(c) }
    private static func isAlnum(_ c: UInt8) -> Bool { isLowerAlnum(c) || (0x41...0x5a).contains(c) }
}

/// A reference that cannot name an image, with the part that is wrong.
public struct ImageReferenceError: Error, Sendable, CustomStringConvertible {
    public let reference: String
    public let problem: String

    init(_ reference: String, _ problem: String) {
        self.reference = reference
        self.problem = problem
    }

    public var description: String { "image reference \"\(reference)\": \(problem)" }
}
