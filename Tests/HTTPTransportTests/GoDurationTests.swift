import HTTPTransport
import Testing

@Suite("Go durations")
struct GoDurationTests {
    @Test(
        "durations as Kubernetes writes them",
        arguments: [
            ("10s", UInt64(10_000_000_000)), ("500ms", 500_000_000), ("1m", 60_000_000_000),
            ("1m30s", 90_000_000_000), ("1.5h", 5_400_000_000_000), ("250us", 250_000), ("0", 0), ("3ns", 3),
        ])
    func parses(_ text: String, _ nanos: UInt64) {
        #expect(GoDuration.nanoseconds(text) == nanos)
    }

    @Test("anything else is refused", arguments: ["", "10", "s", "-1s", "10x", "1e3s", "1s ", "1..5s", "99999999999h"])
    func refuses(_ text: String) {
        #expect(GoDuration.nanoseconds(text) == nil)
    }
}
