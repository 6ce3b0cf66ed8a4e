import COpenSSL

/// A failure reported by OpenSSL, with the library's error queue drained into it.
///
/// OpenSSL keeps errors in a per-thread queue; leaving entries behind makes the next,
/// unrelated call on the same thread look as if it failed. Every wrapper that sees a
/// failing return value builds one of these, which empties the queue and keeps its text
/// so the person reading the log learns *why* (bad PEM, wrong key type, handshake alert).
public struct OpenSSLError: Error, CustomStringConvertible, Sendable {
    /// What Portcullis was doing, e.g. `"loading certificate /etc/tls/tls.crt"`.
    public let operation: String
    /// OpenSSL's own messages, oldest first.
    public let queue: [String]

    public init(_ operation: String) {
        self.operation = operation
        self.queue = OpenSSLError.drain()
    }

    public var description: String {
        queue.isEmpty ? operation : "\(operation): \(queue.joined(separator: "; "))"
    }

    /// Empties this thread's OpenSSL error queue, returning its entries as text.
    @discardableResult
    public static func drain() -> [String] {
        var messages: [String] = []
        while true {
            var data: UnsafePointer<CChar>?
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            var message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // The detail some errors carry ("Verify error:certificate has expired" under a generic
            // "certificate verify error") is often the only part that says what to fix.
            if flags & ERR_TXT_STRING != 0, let data, data.pointee != 0 { message += " (\(String(cString: data)))" }
            messages.append(message)
        }
        return messages
    }
}
