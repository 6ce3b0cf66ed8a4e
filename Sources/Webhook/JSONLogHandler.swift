import Foundation
import JSONText
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// swift-log handler that writes one JSON object per line to standard error.
///
/// Cluster log pipelines parse JSON lines without per-application regexes, and a request UID in a
/// field can be joined with the API server's audit events. Values are escaped by `JSONWriter`, so a
/// hostile value in metadata cannot forge a second log line.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private static let output = Mutex<Void>(())

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var json = JSONWriter()
        json.beginObject()
        json.member("time", string: Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        json.member("level", string: event.level.rawValue)
        json.member("logger", string: label)
        json.member("msg", string: event.message.description)
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged.sorted(by: { $0.key < $1.key })
        where !["time", "level", "logger", "msg"].contains(key) {
            json.member(key, string: value.description)
        }
        json.endObject()
        var line = json.bytes
        line.append(UInt8(ascii: "\n"))
        Self.output.withLock { _ in
            line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
        }
    }
}
