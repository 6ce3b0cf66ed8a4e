/// Incremental parser for one HTTP/1.1 response, as a registry sends it.
///
/// The head and the body are bounded separately, so an endless header block or a blob larger than the caller
/// accepts fails early instead of filling memory. Framing follows RFC 9112 §6.3: no body for HEAD, 1xx, 204 and
/// 304; chunked beats Content-Length; two different Content-Length values are an error; otherwise the body runs to
/// the end of the connection (which then cannot be reused).
struct HTTPClientResponseParser {
    enum Event {
        case needMore
        case complete(HTTPClientResponse, reusable: Bool)
        case failed(String)
    }

    private enum Phase {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case done
    }

    static let maxHeadBytes = 64 * 1024

    let maxBodyBytes: Int
    let isHead: Bool
    private var buffer: [UInt8] = []
    private var position = 0
    private var phase = Phase.head
    private var status = 0
    private var headers = HTTPHeaders()
    private var body: [UInt8] = []
    private var keepAlive = true

    init(maxBodyBytes: Int, isHead: Bool) {
        self.maxBodyBytes = maxBodyBytes
        self.isHead = isHead
    }

    mutating func append(_ bytes: ArraySlice<UInt8>) {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        }
        buffer += bytes
    }

    /// Called when the peer closed the connection: completes a close-delimited body, anything else is truncated.
    mutating func endOfStream() -> Event {
        if case .untilClose = phase {
            phase = .done
            return .complete(HTTPClientResponse(status: status, headers: headers, body: body), reusable: false)
        }
        return .failed("the registry closed the connection in the middle of a response")
    }

    mutating func next() -> Event {
        while true {
            switch phase {
            case .head:
                guard let end = find(crlfcrlf) else {
                    return buffer.count - position > Self.maxHeadBytes
                        ? .failed("response headers exceed \(Self.maxHeadBytes) bytes") : .needMore
                }
                guard end - position <= Self.maxHeadBytes else {
                    return .failed("response headers exceed \(Self.maxHeadBytes) bytes")
                }
                if let problem = parseHead(buffer[position..<end]) { return .failed(problem) }
                position = end + 4
                if status >= 100 && status < 200 {
                    headers = HTTPHeaders()
                    continue
                }
                if let problem = choseBodyFraming() { return .failed(problem) }
            case .fixed(let remaining):
                let left = takeBody(remaining)
                guard left == 0 else {
                    phase = .fixed(remaining: left)
                    return .needMore
                }
                phase = .done
            case .chunkSize:
                guard let end = find(crlf) else {
                    return buffer.count - position > 1024 ? .failed("a chunk size line is too long") : .needMore
                }
                let line = buffer[position..<end].prefix { $0 != UInt8(ascii: ";") }
                // Hex digits only: Int(_:radix:) alone would also take "-0ed" (a negative size) or "+b".
                guard !line.isEmpty, line.count <= 15, line.allSatisfy(isHexDigit),
                    let size = Int(String(decoding: line, as: UTF8.self), radix: 16)
                else { return .failed("a chunk size is not hexadecimal") }
                position = end + 2
                guard body.count + size <= maxBodyBytes else { return .failed(tooLarge) }
                phase = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let left = takeBody(remaining)
                guard left == 0 else {
                    phase = .chunkData(remaining: left)
                    return .needMore
                }
                phase = .chunkDataEnd
            case .chunkDataEnd:
                guard buffer.count - position >= 2 else { return .needMore }
                guard buffer[position] == 0x0d && buffer[position + 1] == 0x0a else {
                    return .failed("a chunk does not end with CRLF")
                }
                position += 2
                phase = .chunkSize
            case .trailers:
                guard let end = find(crlf) else { return .needMore }
                let empty = end == position
                position = end + 2
                if empty { phase = .done }
            case .untilClose:
                body += buffer[position...]
                position = buffer.count
                return body.count > maxBodyBytes ? .failed(tooLarge) : .needMore
            case .done:
                return .complete(HTTPClientResponse(status: status, headers: headers, body: body), reusable: keepAlive)
            }
        }
    }

    /// Moves up to `remaining` buffered bytes into the body; returns how many are still to come.
    private mutating func takeBody(_ remaining: Int) -> Int {
        let take = min(remaining, buffer.count - position)
        body += buffer[position..<position + take]
        position += take
        return remaining - take
    }

    private var tooLarge: String { "the response body exceeds the \(maxBodyBytes)-byte limit" }

    private mutating func choseBodyFraming() -> String? {
        if isHead || status == 204 || status == 304 {
            phase = .done
            return nil
        }
        if let encoding = headers["Transfer-Encoding"] {
            guard encoding.lowercased().split(separator: ",").last?.trimmingASCIIWhitespace() == "chunked" else {
                return "unsupported Transfer-Encoding \(encoding)"
            }
            phase = .chunkSize
            return nil
        }
        let lengths = Set(headers.values(for: "Content-Length"))
        if lengths.count > 1 { return "conflicting Content-Length headers" }
        if let text = lengths.first {
            guard let length = Int(text), length >= 0 else { return "Content-Length \(text) is not a number" }
            guard length <= maxBodyBytes else { return "\(tooLarge) (Content-Length \(length))" }
            phase = .fixed(remaining: length)
            return nil
        }
        keepAlive = false
        phase = .untilClose
        return nil
    }

    private mutating func parseHead(_ head: ArraySlice<UInt8>) -> String? {
        var lines = head.split(separator: 0x0a, omittingEmptySubsequences: false).map { line in
            line.last == 0x0d ? line.dropLast() : line
        }
        let statusLine = String(decoding: lines.removeFirst(), as: UTF8.self)
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let code = Int(parts[1]) else {
            return "the response does not start with an HTTP/1.x status line"
        }
        status = code
        if parts[0] == "HTTP/1.0" { keepAlive = false }
        headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
                return "a response header line has no name"
            }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[line.index(after: colon)...], as: UTF8.self).trimmingASCIIWhitespace()
            headers.add(name: name, value: value)
        }
        if let connection = headers["Connection"], connection.lowercased().contains("close") { keepAlive = false }
        return nil
    }

    private let crlf: [UInt8] = [0x0d, 0x0a]
    private let crlfcrlf: [UInt8] = [0x0d, 0x0a, 0x0d, 0x0a]

    /// Index of the first `needle` at or after `position`.
    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count - position >= needle.count else { return nil }
        var i = position
        while i <= buffer.count - needle.count {
            if buffer[i] == needle[0] && buffer[i..<i + needle.count].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
