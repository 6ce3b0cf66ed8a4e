/// Durations written the way Go and Kubernetes write them: `10s`, `500ms`, `1m30s`, `1.5h`.
///
/// The API server appends `?timeout=10s` to every webhook call, and the same syntax reads well
/// on the command line (`--header-timeout 10s`), so one parser serves both.
public enum GoDuration {
    /// The duration in nanoseconds, or nil when `text` is not a non-negative Go duration.
    public static func nanoseconds(_ text: String) -> UInt64? {
        var bytes = Substring(text).utf8[...]
        guard !bytes.isEmpty else { return nil }
        if bytes.elementsEqual("0".utf8) { return 0 }
        var total: Double = 0
        while !bytes.isEmpty {
            let number = bytes.prefix { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }
            guard !number.isEmpty, let value = Double(String(decoding: number, as: UTF8.self)) else { return nil }
            bytes = bytes[number.endIndex...]
            let unit = bytes.prefix { !(($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".")) }
            bytes = bytes[unit.endIndex...]
            guard let scale = unitNanoseconds[String(decoding: unit, as: UTF8.self)] else { return nil }
            total += value * scale
        }
        guard total < Double(UInt64.max / 2) else { return nil }
        return UInt64(total)
    }

    private static let unitNanoseconds: [String: Double] = [
        "ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9,
    ]
}
