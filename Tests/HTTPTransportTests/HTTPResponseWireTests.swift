import Testing

@testable import HTTPTransport

@Suite("Response serialization")
struct HTTPResponseWireTests {
    @Test("the transport owns the framing fields and handlers cannot inject headers")
    func framing() {
        let response = HTTPResponse(
            status: 200,
            headers: HTTPHeaders([("Content-Length", "999"), ("X-Ok", "yes"), ("X-Evil", "a\r\nSet-Cookie: x")]),
            body: Array("hi".utf8))
        let text = String(decoding: response.serialized(keepAlive: true, includeBody: true, date: "D"), as: UTF8.self)
        #expect(
            text == "HTTP/1.1 200 OK\r\nX-Ok: yes\r\nContent-Length: 2\r\nDate: D\r\nConnection: keep-alive\r\n\r\nhi")
    }

    @Test("HEAD gets the length without the body; 204 gets neither")
    func bodyless() {
        let response = HTTPResponse.text(404, "nope")
        let head = String(decoding: response.serialized(keepAlive: false, includeBody: false, date: "D"), as: UTF8.self)
        #expect(head.hasSuffix("Content-Length: 4\r\nDate: D\r\nConnection: close\r\n\r\n"))
        let empty = HTTPResponse(status: 204)
        let text = String(decoding: empty.serialized(keepAlive: true, includeBody: true, date: "D"), as: UTF8.self)
        #expect(text == "HTTP/1.1 204 No Content\r\nDate: D\r\nConnection: keep-alive\r\n\r\n")
    }

    @Test("Date is IMF-fixdate in GMT")
    func date() {
        #expect(httpDate(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    @Test("the cached Date follows the clock from one second to the next")
    func dateCache() {
        var cache = HTTPDateCache()
        #expect(cache.value(at: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(cache.value(at: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(cache.value(at: 784_111_778) == "Sun, 06 Nov 1994 08:49:38 GMT")
    }
}
