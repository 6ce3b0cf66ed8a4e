/// A glob over a normalised `registry/repository` name, as authorities list the images they sign.
///
/// `*` and `?` stay within one path component and `**` crosses them, so `registry.internal/ml/*` covers
/// `registry.internal/ml/trainer` but not `registry.internal/ml/team/trainer`: a pattern never grants more
/// repositories than its author could see in it.
public struct ImagePattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    private let pattern: [UInt8]

    public init(_ text: String) {
        self.text = text
        self.pattern = Array(text.utf8)
    }

    public var description: String { text }

    /// Whether the pattern covers `name` (`registry/repository`, already normalised).
    public func matches(_ name: String) -> Bool {
        ImagePattern.match(pattern[...], Array(name.utf8)[...])
    }

    private static func match(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
        guard let head = p.first else { return s.isEmpty }
        let slash = UInt8(ascii: "/")
        switch head {
        case UInt8(ascii: "*"):
            let crossesSlash = p.dropFirst().first == UInt8(ascii: "*")
            let tail = p.dropFirst(crossesSlash ? 2 : 1)
            var rest = s
            while true {
                if match(tail, rest) { return true }
                guard let c = rest.first, crossesSlash || c != slash else { return false }
                rest = rest.dropFirst()
            }
        case UInt8(ascii: "?"):
            guard let c = s.first, c != slash else { return false }
            return match(p.dropFirst(), s.dropFirst())
        default:
            return s.first == head && match(p.dropFirst(), s.dropFirst())
        }
    }
}
