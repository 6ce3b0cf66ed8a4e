/// Limits the parser enforces on every request, so a client can never make the server
/// hold more than these many bytes for it.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Request line plus header fields, CRLFs included (and, separately, chunked trailers). Over → 431.
    public var maxHeaderBytes: Int
    /// Decoded body bytes. A `Content-Length` over it is refused before any body is read. Over → 413.
    public var maxBodyBytes: Int

    public init(maxHeaderBytes: Int = 16 * 1024, maxBodyBytes: Int = 8 * 1024 * 1024) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }
}

/// Why a request was refused: the status to answer with and a reason a person can act on.
/// After one of these the connection is closed, because the framing can no longer be trusted.
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let status: Int
    public let reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status): \(reason)" }
}

/// What the parser has to say after the bytes it was given so far.
public enum HTTPParserEvent: Sendable {
    /// Nothing complete yet; read more from the peer.
    case needMoreData
    /// The head asked for `Expect: 100-continue` and the body will be accepted: send `100 Continue`.
    case expectsContinue
    /// One complete request. `keepAlive` says whether the connection may carry another one.
    case request(HTTPRequest, keepAlive: Bool)
    /// The request is malformed or over a limit; answer with `status` and close.
    case failure(HTTPParseError)
}

/// An incremental HTTP/1.1 request parser (RFC 9112) with no I/O, so it can be driven by a socket,
/// by unit tests that split input at every byte, and by a fuzzer alike.
///
/// Bytes go in with `append`, events come out of `next()`. Bytes after one request stay buffered
/// for the next (pipelining). Line syntax is checked one byte at a time in arrival order, so the
/// outcome never depends on how the input was split across reads.
///
/// Framing is strict on purpose, because a webhook sits behind proxies and a lenient parser is how
/// request smuggling happens: bare CR or LF, obs-fold, whitespace before the colon, both
/// `Content-Length` and `Transfer-Encoding`, and differing `Content-Length` values are all refused.
public struct HTTPRequestParser: Sendable {
    /// Where the parser is within a request; the connection picks its read deadline from it.
    public enum Phase: Sendable, Equatable {
        /// Between requests with nothing buffered: the idle keep-alive timeout applies.
        case idle
        /// Reading the request line and header fields: the header timeout applies.
        case head
        /// Reading the body: the body timeout applies.
        case body
    }

    private enum State: Sendable {
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed(HTTPParseError)
    }

    /// A chunk-size line with its extensions; longer than this is an attack, not an extension.
    static let maxChunkLineBytes = 4096

    public let limits: HTTPParserLimits
    private var buffer: [UInt8] = []
    /// First byte not yet consumed.
    private var position = 0
    /// Start of the line being scanned, and the next byte to check within it.
    private var lineStart = 0
    private var scan = 0
    /// Bytes of the current head (or trailer section) scanned so far.
    private var sectionBytes = 0
    private var state: State = .head
    private var head = PartialHead()
    private var body: [UInt8] = []
    private var continueSent = false

    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    public var phase: Phase {
        switch state {
        case .head: sectionBytes == 0 && position == buffer.count ? .idle : .head
        case .failed: .head
        default: .body
        }
    }

    /// Bytes received but not consumed yet (the start of a pipelined request, for instance).
    public var bufferedByteCount: Int { buffer.count - position }

    /// Bytes of client data the parser holds in memory: unparsed input plus the body's storage. A body with a
    /// `Content-Length` is given its whole storage when the head is read, so a connection claims what its
    /// request will cost before the body arrives (a refusal then comes before the bytes are read), and the
    /// storage is never regrown, which would hold the old and new copies at once.
    public var heldByteCount: Int { buffer.count + body.capacity }

    public mutating func append<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        guard position < buffer.count else {
            // Everything so far is consumed. Body bytes go straight into the body rather than through the
            // buffer, and the buffer is reallocated to fit, so an idle connection holds no large buffer.
            var rest = bytes[...]
            if case .fixedBody(let remaining) = state {
                let take = min(remaining, rest.count)
                body.append(contentsOf: rest.prefix(take))
                rest = rest.dropFirst(take)
                state = .fixedBody(remaining: remaining - take)
            }
            buffer = Array(rest)
            position = 0
            lineStart = 0
            scan = 0
            return
        }
        if position > 0 {
            buffer.removeSubrange(0..<position)
            lineStart -= position
            scan -= position
            position = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Advances as far as the buffered bytes allow.
    public mutating func next() -> HTTPParserEvent {
        while true {
            switch state {
            case .failed(let error):
                return .failure(error)
            case .head:
                switch nextLine(limit: limits.maxHeaderBytes, countsToSection: true) {
                case .needMore: return .needMoreData
                case .failed(let error): return fail(error)
                case .line(let range):
                    if let event = headLine(range) { return event }
                }
            case .fixedBody(let remaining):
                let take = min(remaining, buffer.count - position)
                body.append(contentsOf: buffer[position..<position + take])
                position += take
                if remaining - take > 0 {
                    state = .fixedBody(remaining: remaining - take)
                    return .needMoreData
                }
                return finishRequest()
            case .chunkSize:
                switch nextLine(limit: Self.maxChunkLineBytes, countsToSection: false) {
                case .needMore: return .needMoreData
                case .failed(let error): return fail(error)
                case .line(let range):
                    if let error = chunkSizeLine(range) { return fail(error) }
                }
            case .chunkData(let remaining):
                let take = min(remaining, buffer.count - position)
                body.append(contentsOf: buffer[position..<position + take])
                position += take
                if remaining - take > 0 {
                    state = .chunkData(remaining: remaining - take)
                    return .needMoreData
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard buffer.count - position >= 2 else {
                    if buffer.count > position && buffer[position] != 0x0D {
                        return fail(HTTPParseError(status: 400, reason: "chunk data is not followed by CRLF"))
                    }
                    return .needMoreData
                }
                guard buffer[position] == 0x0D && buffer[position + 1] == 0x0A else {
                    return fail(HTTPParseError(status: 400, reason: "chunk data is not followed by CRLF"))
                }
                position += 2
                lineStart = position
                scan = position
                state = .chunkSize
            case .trailers:
                switch nextLine(limit: limits.maxHeaderBytes, countsToSection: true) {
                case .needMore: return .needMoreData
                case .failed(let error): return fail(error)
                case .line(let range):
                    if range.isEmpty { return finishRequest() }
                    // Trailers are checked for syntax and then dropped: nothing above the transport reads them.
                    if case .failure(let error) = Self.headerField(buffer[range]) { return fail(error) }
                }
            }
        }
    }

    // MARK: - Lines

    private enum LineResult {
        case needMore
        case line(Range<Int>)
        case failed(HTTPParseError)
    }

    /// Scans for the next CRLF-terminated line, checking each byte once in arrival order.
    private mutating func nextLine(limit: Int, countsToSection: Bool) -> LineResult {
        while scan < buffer.count {
            let byte = buffer[scan]
            let used = (countsToSection ? sectionBytes : 0) + (scan - lineStart) + 1
            if used > limit {
                return countsToSection
                    ? .failed(HTTPParseError(status: 431, reason: "request header section is over \(limit) bytes"))
                    : .failed(HTTPParseError(status: 400, reason: "chunk size line is over \(limit) bytes"))
            }
            let previousIsCR = scan > lineStart && buffer[scan - 1] == 0x0D
            if byte == 0x0A {
                guard previousIsCR else { return .failed(HTTPParseError(status: 400, reason: "bare LF in line")) }
                let range = lineStart..<(scan - 1)
                scan += 1
                if countsToSection { sectionBytes += scan - lineStart }
                lineStart = scan
                position = scan
                return .line(range)
            }
            if previousIsCR { return .failed(HTTPParseError(status: 400, reason: "bare CR in line")) }
            scan += 1
        }
        return .needMore
    }

    // MARK: - Head

    private struct PartialHead: Sendable {
        var method = ""
        var target = ""
        var minorVersion = 1
        var headers = HTTPHeaders()
        var sawRequestLine = false
        /// The framing fields' values, gathered as the fields arrive so the head is not searched once per name.
        var hosts = 0
        var transferEncoding: [String] = []
        var contentLength: [String] = []
        var expect: String?
        var connection: [String] = []
    }

    private mutating func headLine(_ range: Range<Int>) -> HTTPParserEvent? {
        let line = buffer[range]
        if !head.sawRequestLine {
            // RFC 9112 §2.2: ignore empty lines before the request line (a client's stray CRLF after a body).
            if line.isEmpty { return nil }
            switch Self.requestLine(line) {
            case .failure(let error): return fail(error)
            case .success(let parsed):
                head.method = parsed.method
                head.target = parsed.target
                head.minorVersion = parsed.minor
                head.sawRequestLine = true
                return nil
            }
        }
        if line.isEmpty { return headComplete() }
        switch Self.headerField(line) {
        case .failure(let error): return fail(error)
        case .success(let field):
            head.headers.add(name: field.name, value: field.value)
            noteFramingField(field.name, field.value)
            return nil
        }
    }

    private struct RequestLine { var method: String, target: String, minor: Int }

    private static func requestLine(_ line: ArraySlice<UInt8>) -> Result<RequestLine, HTTPParseError> {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            return .failure(HTTPParseError(status: 400, reason: "request line is not METHOD SP TARGET SP VERSION"))
        }
        let method = parts[0]
        let target = parts[1]
        let version = parts[2]
        guard method.allSatisfy(isTokenByte) else {
            return .failure(HTTPParseError(status: 400, reason: "method contains a character that is not a token"))
        }
        guard target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(HTTPParseError(status: 400, reason: "request target contains a control or non-ASCII byte"))
        }
        let methodText = String(decoding: method, as: UTF8.self)
        guard target.first == UInt8(ascii: "/") || (methodText == "OPTIONS" && target.elementsEqual("*".utf8)) else {
            return .failure(HTTPParseError(status: 400, reason: "request target must be a path starting with /"))
        }
        let v = Array(version)
        guard v.count == 8, v[0..<5].elementsEqual("HTTP/".utf8), v[6] == UInt8(ascii: "."),
            isDigit(v[5]), isDigit(v[7])
        else {
            return .failure(HTTPParseError(status: 400, reason: "HTTP version is not HTTP/<digit>.<digit>"))
        }
        guard v[5] == UInt8(ascii: "1"), v[7] == UInt8(ascii: "1") || v[7] == UInt8(ascii: "0") else {
            return .failure(HTTPParseError(status: 505, reason: "only HTTP/1.1 and HTTP/1.0 are supported"))
        }
        return .success(
            RequestLine(
                method: methodText, target: String(decoding: target, as: UTF8.self), minor: Int(v[7] - 0x30)))
    }

    private static func headerField(_ line: ArraySlice<UInt8>) -> Result<(name: String, value: String), HTTPParseError>
    {
        if let first = line.first, first == 0x20 || first == 0x09 {
            return .failure(HTTPParseError(status: 400, reason: "obsolete line folding in header section"))
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            return .failure(HTTPParseError(status: 400, reason: "header field has no colon"))
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
            return .failure(
                HTTPParseError(status: 400, reason: "header field name is empty or has whitespace or a separator"))
        }
        var value = line[(colon + 1)...]
        while let b = value.first, b == 0x20 || b == 0x09 { value = value.dropFirst() }
        while let b = value.last, b == 0x20 || b == 0x09 { value = value.dropLast() }
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            let fieldName = String(decoding: name, as: UTF8.self)
            return .failure(HTTPParseError(status: 400, reason: "header \(fieldName) contains a control character"))
        }
        return .success((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    /// Decides the body framing from the complete head (RFC 9112 §6.3), refusing anything ambiguous.
    private mutating func noteFramingField(_ name: String, _ value: String) {
        switch name.utf8.count {
        case 4 where name.caseInsensitiveEquals("Host"): head.hosts += 1
        case 6 where name.caseInsensitiveEquals("Expect"): head.expect = head.expect ?? value
        case 10 where name.caseInsensitiveEquals("Connection"): head.connection.append(value)
        case 14 where name.caseInsensitiveEquals("Content-Length"): head.contentLength.append(value)
        case 17 where name.caseInsensitiveEquals("Transfer-Encoding"): head.transferEncoding.append(value)
        default: break
        }
    }

    private mutating func headComplete() -> HTTPParserEvent? {
        if head.minorVersion == 1 && head.hosts != 1 {
            return fail(HTTPParseError(status: 400, reason: "HTTP/1.1 request must have exactly one Host header"))
        }
        let transferCodings = Self.tokens(head.transferEncoding)
        let lengths = Self.tokens(head.contentLength)
        var chunked = false
        var length = 0
        if !transferCodings.isEmpty {
            guard head.minorVersion == 1 else {
                return fail(HTTPParseError(status: 400, reason: "Transfer-Encoding is not allowed in HTTP/1.0"))
            }
            guard lengths.isEmpty else {
                return fail(HTTPParseError(status: 400, reason: "both Content-Length and Transfer-Encoding are set"))
            }
            guard transferCodings.last == "chunked" else {
                return fail(HTTPParseError(status: 400, reason: "request Transfer-Encoding must end with chunked"))
            }
            guard transferCodings.count == 1 else {
                return fail(HTTPParseError(status: 501, reason: "only the chunked transfer coding is supported"))
            }
            chunked = true
        } else if let first = lengths.first {
            guard lengths.allSatisfy({ $0 == first }) else {
                return fail(HTTPParseError(status: 400, reason: "Content-Length values differ"))
            }
            switch Self.decimal(first, limit: limits.maxBodyBytes) {
            case .invalid:
                return fail(HTTPParseError(status: 400, reason: "Content-Length \"\(first)\" is not a decimal number"))
            case .tooLarge:
                return fail(tooLarge())
            case .value(let value):
                length = value
            }
        }
        var expectsContinue = false
        if let expect = head.expect, head.minorVersion == 1 {
            guard expect.lowercased() == "100-continue" else {
                return fail(HTTPParseError(status: 417, reason: "only Expect: 100-continue is supported"))
            }
            expectsContinue = true
        }
        sectionBytes = 0
        body = []
        // The length is within maxBodyBytes here; reserving does not touch the pages, the server's byte budget
        // (which counts this capacity) bounds how many such bodies may be held at once.
        body.reserveCapacity(chunked ? 64 * 1024 : length)
        if chunked {
            state = .chunkSize
        } else if length > 0 {
            state = .fixedBody(remaining: length)
        } else {
            return finishRequest()
        }
        if expectsContinue && !continueSent && position == buffer.count {
            continueSent = true
            return .expectsContinue
        }
        return nil
    }

    // MARK: - Chunked body

    private mutating func chunkSizeLine(_ range: Range<Int>) -> HTTPParseError? {
        let line = buffer[range]
        let digits = line.prefix(while: isHexDigit)
        guard !digits.isEmpty else { return HTTPParseError(status: 400, reason: "chunk size is not hexadecimal") }
        var extensions = line[digits.endIndex...]
        while let b = extensions.first, b == 0x20 || b == 0x09 { extensions = extensions.dropFirst() }
        guard extensions.isEmpty || extensions.first == UInt8(ascii: ";") else {
            return HTTPParseError(status: 400, reason: "chunk size is followed by something other than an extension")
        }
        guard extensions.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            return HTTPParseError(status: 400, reason: "chunk extension contains a control character")
        }
        var size = 0
        for digit in digits {
            let (shifted, overflow) = size.multipliedReportingOverflow(by: 16)
            size = shifted + Int(hexValue(digit))
            if overflow || size > limits.maxBodyBytes - body.count { return tooLarge() }
        }
        if size == 0 {
            lineStart = position
            scan = position
            state = .trailers
        } else {
            state = .chunkData(remaining: size)
        }
        return nil
    }

    // MARK: - Completion

    private mutating func finishRequest() -> HTTPParserEvent {
        let connection = Self.tokens(head.connection)
        let keepAlive = head.minorVersion == 1 ? !connection.contains("close") : connection.contains("keep-alive")
        let request = HTTPRequest(method: head.method, target: head.target, headers: head.headers, body: body)
        head = PartialHead()
        body = []
        sectionBytes = 0
        continueSent = false
        // Nothing pipelined after it: an idle keep-alive connection then holds no byte of its last request (the
        // next append would allocate afresh anyway, so this costs nothing).
        if position == buffer.count {
            buffer = []
            position = 0
        }
        lineStart = position
        scan = position
        state = .head
        return .request(request, keepAlive: keepAlive)
    }

    private mutating func fail(_ error: HTTPParseError) -> HTTPParserEvent {
        state = .failed(error)
        buffer = []
        body = []
        position = 0
        lineStart = 0
        scan = 0
        return .failure(error)
    }

    private func tooLarge() -> HTTPParseError {
        HTTPParseError(status: 413, reason: "request body is over the \(limits.maxBodyBytes)-byte limit")
    }

    // MARK: - Character classes

    /// Comma-separated list members of all the given field values, trimmed and lowercased.
    private static func tokens(_ values: [String]) -> [String] {
        if values.isEmpty { return [] }
        return values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingASCIIWhitespace().lowercased() }
    }

    private enum Decimal {
        case value(Int)
        case tooLarge, invalid
    }

    private static func decimal(_ text: String, limit: Int) -> Decimal {
        guard !text.isEmpty, text.utf8.allSatisfy(isDigit) else { return .invalid }
        var value = 0
        for digit in text.utf8 {
            value = value * 10 + Int(digit - 0x30)
            if value > limit { return .tooLarge }
        }
        return .value(value)
    }
}

private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

/// HEXDIG of RFC 9112 (chunk sizes), for the request and the registry-response parsers alike.
func isHexDigit(_ b: UInt8) -> Bool {
    isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
}

private func hexValue(_ b: UInt8) -> UInt8 {
    isDigit(b) ? b - 0x30 : (b | 0x20) - 0x61 + 10
}

/// RFC 9110 §5.6.2 tchar.
private func isTokenByte(_ b: UInt8) -> Bool {
    switch b {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
        UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        true
    default: false
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's OWS), and nothing else.
    func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
            let last = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
