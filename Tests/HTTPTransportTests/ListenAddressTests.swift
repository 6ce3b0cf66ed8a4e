import HTTPTransport
import Testing

@Suite("Listen addresses")
struct ListenAddressTests {
    @Test(
        "HOST:PORT forms",
        arguments: [
            ("127.0.0.1:8443", "127.0.0.1", 8443), ("0.0.0.0:0", "0.0.0.0", 0), ("[::1]:443", "::1", 443),
            (":8443", "", 8443), ("localhost:65535", "localhost", 65535),
        ])
    func parses(_ text: String, _ host: String, _ port: Int) {
        #expect(ListenAddress(text) == ListenAddress(host: host, port: port))
    }

    @Test(
        "no port, a bad port or a port out of range is refused",
        arguments: ["127.0.0.1", "h:", "h:x", "h:65536", "h:-1"])
    func refuses(_ text: String) {
        #expect(ListenAddress(text) == nil)
    }

    @Test("IPv6 hosts print with brackets")
    func description() {
        #expect(ListenAddress(host: "::1", port: 8443).description == "[::1]:8443")
        #expect(ListenAddress(host: "127.0.0.1", port: 0).description == "127.0.0.1:0")
    }
}
