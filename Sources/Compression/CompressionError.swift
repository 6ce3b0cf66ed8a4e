/// A zlib or file failure while compressing or decompressing, with what was being done.
public struct CompressionError: Error, CustomStringConvertible, Sendable {
    public let message: String
    /// The input ended early (a cut-off file), as opposed to bytes that are not gzip at all.
    public let isTruncation: Bool

    public init(_ message: String, isTruncation: Bool = false) {
        self.message = message
        self.isTruncation = isTruncation
    }

    public var description: String { message }
}
