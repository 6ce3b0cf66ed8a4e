import Testing

@testable import HTTPTransport

/// What a run of the parser produced, in a form tests can compare.
enum Outcome: Equatable, CustomStringConvertible {
    case request(method: String, target: String, body: String, keepAlive: Bool)
    case failure(Int)

    var description: String {
        switch self {
        case .request(let m, let t, let b, let k): "\(m) \(t) body=\(b.debugDescription) keepAlive=\(k)"
        case .failure(let s): "failure \(s)"
        }
    }
}

/// Feeds `input` in pieces of `pieceSize` bytes (all at once when nil) and collects every outcome.
func outcomes(_ input: String, pieceSize: Int? = nil, limits: HTTPParserLimits = HTTPParserLimits()) -> [Outcome] {
    let bytes = Array(input.utf8)
    let starts = pieceSize.map { Array(stride(from: 0, to: bytes.count, by: $0)) } ?? [0]
    return outcomes(bytes, pieces: starts, limits: limits)
}

/// Feeds `bytes` split at the given offsets and collects every outcome.
func outcomes(_ bytes: [UInt8], pieces starts: [Int], limits: HTTPParserLimits = HTTPParserLimits()) -> [Outcome] {
    var parser = HTTPRequestParser(limits: limits)
    var result: [Outcome] = []
    let bounds = starts + [bytes.count]
    for (start, end) in zip(bounds, bounds.dropFirst()) {
        parser.append(bytes[start..<end])
        loop: while true {
            switch parser.next() {
            case .needMoreData: break loop
            case .expectsContinue: continue
            case .request(let r, let keepAlive):
                let body = String(decoding: r.body, as: UTF8.self)
                result.append(.request(method: r.method, target: r.target, body: body, keepAlive: keepAlive))
            case .failure(let e):
                result.append(.failure(e.status))
                return result
            }
        }
    }
    return result
}

struct ParserCase: CustomTestStringConvertible, Sendable {
    let name: String
    let input: String
    let expected: [Outcome]
    var testDescription: String { name }
}

private let host = "Host: portcullis.portcullis.svc\r\n"
private let chunkedHead = "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n"

private func ok(_ method: String, _ target: String, _ body: String = "", keepAlive: Bool = true) -> Outcome {
    .request(method: method, target: target, body: body, keepAlive: keepAlive)
}

let validCases: [ParserCase] = [
    ParserCase(
        name: "GET without body", input: "GET /healthz HTTP/1.1\r\n\(host)\r\n", expected: [ok("GET", "/healthz")]),
    ParserCase(
        name: "POST with Content-Length and query",
        input: "POST /validate/ephi?timeout=10s HTTP/1.1\r\n\(host)Content-Length: 5\r\n\r\nhello",
        expected: [ok("POST", "/validate/ephi?timeout=10s", "hello")]),
    ParserCase(
        name: "Connection: close ends keep-alive", input: "GET / HTTP/1.1\r\n\(host)Connection: close\r\n\r\n",
        expected: [ok("GET", "/", keepAlive: false)]),
    ParserCase(
        name: "HTTP/1.0 closes by default", input: "GET / HTTP/1.0\r\n\r\n",
        expected: [ok("GET", "/", keepAlive: false)]),
    ParserCase(
        name: "HTTP/1.0 keep-alive on request", input: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
        expected: [ok("GET", "/")]),
    ParserCase(
        name: "chunked with extensions and trailers",
        input: chunkedHead + "5;name=value\r\nhello\r\n6 ; ext\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n",
        expected: [ok("POST", "/", "hello world")]),
    ParserCase(
        name: "chunked with uppercase hex size and coding name",
        input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
        expected: [ok("POST", "/", "0123456789")]),
    ParserCase(
        name: "pipelined requests answered in order",
        input: "POST /a HTTP/1.1\r\n\(host)Content-Length: 1\r\n\r\nxGET /b HTTP/1.1\r\n\(host)\r\n"
            + "GET /c HTTP/1.1\r\n\(host)Connection: close\r\n\r\n",
        expected: [ok("POST", "/a", "x"), ok("GET", "/b"), ok("GET", "/c", keepAlive: false)]),
    ParserCase(
        name: "stray CRLF between requests is ignored",
        input: "GET /a HTTP/1.1\r\n\(host)\r\n\r\nGET /b HTTP/1.1\r\n\(host)\r\n",
        expected: [ok("GET", "/a"), ok("GET", "/b")]),
    ParserCase(
        name: "identical duplicate Content-Length is one length",
        input: "POST / HTTP/1.1\r\n\(host)Content-Length: 2\r\nContent-Length: 2\r\n\r\nok",
        expected: [ok("POST", "/", "ok")]),
    ParserCase(name: "OPTIONS asterisk", input: "OPTIONS * HTTP/1.1\r\n\(host)\r\n", expected: [ok("OPTIONS", "*")]),
    ParserCase(
        name: "header value whitespace trimmed, obs-text kept",
        input: "GET / HTTP/1.1\r\n\(host)X-A:   v\u{e9}  \r\n\r\n", expected: [ok("GET", "/")]),
]

let malformedCases: [ParserCase] = [
    ParserCase(
        name: "request line with two spaces", input: "GET  / HTTP/1.1\r\n\(host)\r\n", expected: [.failure(400)]),
    ParserCase(name: "request line missing version", input: "GET /\r\n\(host)\r\n", expected: [.failure(400)]),
    ParserCase(name: "lowercase protocol name", input: "GET / http/1.1\r\n\(host)\r\n", expected: [.failure(400)]),
    ParserCase(name: "HTTP/2.0 request line", input: "GET / HTTP/2.0\r\n\(host)\r\n", expected: [.failure(505)]),
    ParserCase(name: "absolute-form target", input: "GET http://x/ HTTP/1.1\r\n\(host)\r\n", expected: [.failure(400)]),
    ParserCase(name: "method with separator", input: "GE(T / HTTP/1.1\r\n\(host)\r\n", expected: [.failure(400)]),
    ParserCase(name: "control byte in target", input: "GET /\u{01} HTTP/1.1\r\n\(host)\r\n", expected: [.failure(400)]),
    ParserCase(name: "bare LF line ending", input: "GET / HTTP/1.1\n\(host)\r\n", expected: [.failure(400)]),
    ParserCase(
        name: "bare CR inside a header", input: "GET / HTTP/1.1\r\n\(host)X-A: a\rb\r\n\r\n", expected: [.failure(400)]),
    ParserCase(
        name: "obs-fold continuation line", input: "GET / HTTP/1.1\r\n\(host)X-A: a\r\n b\r\n\r\n",
        expected: [.failure(400)]),
    ParserCase(
        name: "whitespace before colon", input: "GET / HTTP/1.1\r\n\(host)Content-Length : 0\r\n\r\n",
        expected: [.failure(400)]),
    ParserCase(
        name: "header without colon", input: "GET / HTTP/1.1\r\n\(host)NoColon\r\n\r\n", expected: [.failure(400)]),
    ParserCase(
        name: "NUL in header value", input: "GET / HTTP/1.1\r\n\(host)X-A: a\u{0}b\r\n\r\n", expected: [.failure(400)]),
    ParserCase(name: "HTTP/1.1 without Host", input: "GET / HTTP/1.1\r\n\r\n", expected: [.failure(400)]),
    ParserCase(name: "two Host headers", input: "GET / HTTP/1.1\r\n\(host)\(host)\r\n", expected: [.failure(400)]),
    ParserCase(
        name: "smuggling: Content-Length and chunked",
        input: "POST / HTTP/1.1\r\n\(host)Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        expected: [.failure(400)]),
    ParserCase(
        name: "smuggling: differing Content-Length",
        input: "POST / HTTP/1.1\r\n\(host)Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
        expected: [.failure(400)]),
    ParserCase(
        name: "smuggling: differing Content-Length in one list",
        input: "POST / HTTP/1.1\r\n\(host)Content-Length: 4, 5\r\n\r\nabcde", expected: [.failure(400)]),
    ParserCase(
        name: "smuggling: chunked not last",
        input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked, identity\r\n\r\n", expected: [.failure(400)]),
    ParserCase(
        name: "unsupported transfer coding",
        input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip, chunked\r\n\r\n", expected: [.failure(501)]),
    ParserCase(
        name: "Transfer-Encoding in HTTP/1.0", input: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        expected: [.failure(400)]),
    ParserCase(
        name: "signed Content-Length", input: "POST / HTTP/1.1\r\n\(host)Content-Length: +5\r\n\r\nhello",
        expected: [.failure(400)]),
    ParserCase(
        name: "empty Content-Length", input: "POST / HTTP/1.1\r\n\(host)Content-Length:\r\n\r\n",
        expected: [.failure(400)]),
    ParserCase(
        name: "Content-Length overflowing Int",
        input: "POST / HTTP/1.1\r\n\(host)Content-Length: 99999999999999999999999999\r\n\r\n", expected: [.failure(413)]
    ),
    ParserCase(name: "bad chunk size", input: chunkedHead + "zz\r\n", expected: [.failure(400)]),
    ParserCase(name: "negative chunk size", input: chunkedHead + "-1\r\n", expected: [.failure(400)]),
    ParserCase(
        name: "chunk size overflowing Int", input: chunkedHead + "ffffffffffffffffffff\r\n", expected: [.failure(413)]),
    ParserCase(name: "chunk data without CRLF", input: chunkedHead + "1\r\naXY0\r\n\r\n", expected: [.failure(400)]),
    ParserCase(
        name: "chunk size with junk after digits", input: chunkedHead + "1 x\r\na\r\n0\r\n\r\n",
        expected: [.failure(400)]),
    ParserCase(
        name: "chunk extension too long", input: chunkedHead + "1;\(String(repeating: "e", count: 5000))\r\n",
        expected: [.failure(400)]),
    ParserCase(name: "malformed trailer", input: chunkedHead + "0\r\nbad trailer\r\n\r\n", expected: [.failure(400)]),
    ParserCase(
        name: "unknown expectation", input: "POST / HTTP/1.1\r\n\(host)Expect: magic\r\nContent-Length: 1\r\n\r\nx",
        expected: [.failure(417)]),
    ParserCase(
        name: "valid request then garbage", input: "GET / HTTP/1.1\r\n\(host)\r\nNOT HTTP\r\n\r\n",
        expected: [ok("GET", "/"), .failure(400)]),
]

@Suite("HTTP request parser")
struct HTTPRequestParserTests {
    @Test("valid requests parse the same whole and split at every byte boundary", arguments: validCases)
    func valid(_ c: ParserCase) {
        #expect(outcomes(c.input) == c.expected)
        #expect(outcomes(c.input, pieceSize: 1) == c.expected)
        let bytes = Array(c.input.utf8)
        for split in 1..<bytes.count {
            #expect(outcomes(bytes, pieces: [0, split]) == c.expected, "split at \(split)")
        }
    }

    @Test("malformed requests are refused with the right status, however they arrive", arguments: malformedCases)
    func malformed(_ c: ParserCase) {
        #expect(outcomes(c.input) == c.expected)
        #expect(outcomes(c.input, pieceSize: 1) == c.expected)
        #expect(outcomes(c.input, pieceSize: 7) == c.expected)
    }

    @Test("a header section over the limit is 431 even before it ends")
    func oversizedHeaders() {
        let limits = HTTPParserLimits(maxHeaderBytes: 64, maxBodyBytes: 1024)
        let big = "GET / HTTP/1.1\r\n\(host)X-Big: \(String(repeating: "a", count: 100))"
        #expect(outcomes(big, limits: limits) == [.failure(431)])
        #expect(outcomes(big, pieceSize: 1, limits: limits) == [.failure(431)])
        let prefix = "GET / HTTP/1.1\r\nHost: h\r\nX: "
        let exact = prefix + String(repeating: "a", count: 64 - prefix.utf8.count - 4) + "\r\n\r\n"
        #expect(exact.utf8.count == 64)
        #expect(outcomes(exact, limits: limits) == [ok("GET", "/")])
        let oneOver = prefix + String(repeating: "a", count: 64 - prefix.utf8.count - 3) + "\r\n\r\n"
        #expect(outcomes(oneOver, limits: limits) == [.failure(431)])
    }

    @Test("trailers count against the header limit")
    func oversizedTrailers() {
        let limits = HTTPParserLimits(maxHeaderBytes: 64, maxBodyBytes: 1024)
        let input =
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: "
            + String(repeating: "t", count: 80) + "\r\n\r\n"
        #expect(outcomes(input, limits: limits) == [.failure(431)])
    }

    @Test("a body over the limit is 413: a declared length up front, chunks as soon as they pass it")
    func oversizedBody() {
        let limits = HTTPParserLimits(maxHeaderBytes: 1024, maxBodyBytes: 8)
        #expect(outcomes("POST / HTTP/1.1\r\n\(host)Content-Length: 9\r\n\r\n", limits: limits) == [.failure(413)])
        #expect(
            outcomes("POST / HTTP/1.1\r\n\(host)Content-Length: 8\r\n\r\n12345678", limits: limits)
                == [ok("POST", "/", "12345678")])
        #expect(outcomes(chunkedHead + "5\r\n12345\r\n4\r\n", limits: limits) == [.failure(413)])
    }

    @Test("Expect: 100-continue is announced only for a body that will be accepted")
    func expectContinue() {
        let limits = HTTPParserLimits(maxHeaderBytes: 1024, maxBodyBytes: 10)
        var parser = HTTPRequestParser(limits: limits)
        parser.append(Array("POST / HTTP/1.1\r\n\(host)Expect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8))
        guard case .expectsContinue = parser.next() else {
            Issue.record("no 100-continue")
            return
        }
        guard case .needMoreData = parser.next() else {
            Issue.record("continue announced twice")
            return
        }
        #expect(parser.phase == .body)
        parser.append(Array("abc".utf8))
        guard case .request(let request, _) = parser.next() else {
            Issue.record("no request")
            return
        }
        #expect(request.body == Array("abc".utf8))
        #expect(parser.phase == .idle)

        var refusing = HTTPRequestParser(limits: limits)
        refusing.append(Array("POST / HTTP/1.1\r\n\(host)Expect: 100-continue\r\nContent-Length: 11\r\n\r\n".utf8))
        guard case .failure(let error) = refusing.next() else {
            Issue.record("oversized body not refused")
            return
        }
        #expect(error.status == 413)
    }

    @Test("an idle keep-alive connection holds no byte of the request it was last sent; pipelined bytes stay")
    func idleParserHoldsNothing() {
        var parser = HTTPRequestParser()
        let review =
            "POST /validate HTTP/1.1\r\n\(host)Content-Length: 4096\r\n\r\n" + String(repeating: "x", count: 4096)
        parser.append(Array(review.utf8))
        guard case .request = parser.next() else {
            Issue.record("no request")
            return
        }
        #expect(parser.heldByteCount == 0, "an idle connection keeps \(parser.heldByteCount) bytes of its last request")
        #expect(parser.phase == .idle)

        parser.append(Array("GET /a HTTP/1.1\r\n\(host)\r\nGET /b HTTP/1.1\r\n\(host)\r\n".utf8))
        guard case .request(let first, _) = parser.next(), case .request(let second, _) = parser.next() else {
            Issue.record("pipelined requests lost")
            return
        }
        #expect(first.target == "/a" && second.target == "/b")
        #expect(parser.heldByteCount == 0)
    }

    @Test("phase follows the request so the connection can pick its deadline")
    func phases() {
        var parser = HTTPRequestParser()
        #expect(parser.phase == .idle)
        parser.append(Array("POS".utf8))
        _ = parser.next()
        #expect(parser.phase == .head)
        parser.append(Array("T / HTTP/1.1\r\n\(host)Content-Length: 2\r\n\r\na".utf8))
        _ = parser.next()
        #expect(parser.phase == .body)
        parser.append(Array("bGET".utf8))
        guard case .request = parser.next() else {
            Issue.record("no request")
            return
        }
        #expect(parser.phase == .head)
        #expect(parser.bufferedByteCount == 3)
    }

    @Test("a failure is sticky: nothing after it is parsed")
    func stickyFailure() {
        var parser = HTTPRequestParser()
        parser.append(Array("BAD\r\n".utf8))
        guard case .failure = parser.next() else {
            Issue.record("not refused")
            return
        }
        parser.append(Array("GET / HTTP/1.1\r\n\(host)\r\n".utf8))
        guard case .failure = parser.next() else {
            Issue.record("parsed after a failure")
            return
        }
    }
}
