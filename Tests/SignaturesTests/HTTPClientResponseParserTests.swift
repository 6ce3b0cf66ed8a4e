import Testing

@testable import HTTPTransport

/// Response framing as registries (and broken proxies) send it, fed whole and byte by byte.
@Suite struct HTTPClientResponseParserTests {
    enum Outcome: Equatable {
        case response(status: Int, body: String, reusable: Bool)
        case failure(String)
        case incomplete
    }

    func parse(_ text: String, maxBody: Int = 100, isHead: Bool = false, split: Bool = false, closeAtEnd: Bool = false)
        -> Outcome
    {
        var parser = HTTPClientResponseParser(maxBodyBytes: maxBody, isHead: isHead)
        let bytes = Array(text.utf8)
        let pieces = split ? bytes.map { [$0] } : [bytes]
        var event = HTTPClientResponseParser.Event.needMore
        for piece in pieces {
            parser.append(piece[...])
            event = parser.next()
            if case .needMore = event { continue }
            break
        }
        if case .needMore = event, closeAtEnd { event = parser.endOfStream() }
        switch event {
        case .needMore: return .incomplete
        case .complete(let response, let reusable):
            return .response(
                status: response.status, body: String(decoding: response.body, as: UTF8.self), reusable: reusable)
        case .failed(let message): return .failure(message)
        }
    }

    @Test(arguments: [false, true])
    func framesBodies(split: Bool) {
        #expect(
            parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", split: split)
                == .response(status: 200, body: "hello", reusable: true))
        #expect(
            parse(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nT: v\r\n\r\n",
                split: split)
                == .response(status: 200, body: "hello", reusable: true))
        #expect(
            parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", split: split)
                == .response(status: 404, body: "", reusable: true))
        #expect(
            parse("HTTP/1.0 200 OK\r\n\r\nuntil close", split: split, closeAtEnd: true)
                == .response(status: 200, body: "until close", reusable: false))
        #expect(
            parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", split: split)
                == .response(status: 200, body: "ok", reusable: false))
    }

    @Test func headAndNoContentHaveNoBody() {
        #expect(
            parse("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", isHead: true)
                == .response(status: 200, body: "", reusable: true))
        #expect(parse("HTTP/1.1 204 No Content\r\n\r\n") == .response(status: 204, body: "", reusable: true))
    }

    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", "limit"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n", "limit"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "conflicting"),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "not a number"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "hexadecimal"),
        // Found by fuzz/HTTPClientResponseFuzz.swift: Int(_:radix:) took "-0ed" as a negative size, and the
        // body copy trapped on a reversed range; a sign is not HEXDIG either way.
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-0ed\r\nabc", "hexadecimal"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+b\r\nabc", "hexadecimal"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nabcde\r\n0\r\n\r\n", "hexadecimal"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc", "CRLF"),
        ("\u{16}\u{03}\u{01} garbage\r\n\r\n", "status line"),
        ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "no name"),
    ])
    func refusesMalformedOrOversizedResponses(text: String, words: String) {
        guard case .failure(let message) = parse(text) else { Issue.record("accepted: \(text)"); return }
        #expect(message.contains(words), "\(message)")
    }

    @Test func endlessHeadersAreRefused() {
        let text = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Filler: 0123456789\r\n", count: 4000)
        guard case .failure(let message) = parse(text) else { Issue.record("accepted"); return }
        #expect(message.contains("headers exceed"))
    }

    @Test func truncatedBodyIsAnError() {
        #expect(
            parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", closeAtEnd: true)
                == .failure("the registry closed the connection in the middle of a response"))
    }
}
