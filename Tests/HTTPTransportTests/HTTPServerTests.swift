import Foundation
import HTTPTransport
import Logging
import Synchronization
import Testing

/// Answers with what the transport told it about the request, so tests can check the context.
private struct ContextEcho: HTTPHandler {
    func handle(_ request: HTTPRequest, context: RequestContext) -> HTTPResponse {
        let remaining = Int64(context.deadlineNanos) - Int64(DispatchTime.now().uptimeNanoseconds)
        let withinOneSecond = remaining > 0 && remaining <= 1_000_000_000
        return .text(200, "subject=\(context.clientCertificate?.subject ?? "none") deadline<=1s=\(withinOneSecond)")
    }
}

@Suite("HTTPServer in process")
struct HTTPServerTests {
    @Test("the handler sees the verified client subject and a deadline shortened by ?timeout=")
    func requestContext() throws {
        let certs = try makeCertificates()
        defer { try? FileManager.default.removeItem(at: certs) }
        let server = try RunningServer(certs: certs, handler: ContextEcho())
        defer { server.stop() }
        let body = try curl(
            certs,
            [
                "--cert", certs.appendingPathComponent("client.pem").path,
                "--key", certs.appendingPathComponent("client-key.pem").path,
                "https://localhost:\(server.port)/validate?timeout=1s",
            ])
        #expect(body == "subject=CN=kube-apiserver,O=Portcullis dev deadline<=1s=true")
    }

    @Test("a handler that blocks holds up no other connection, even with one I/O thread")
    func blockingHandler() throws {
        let handler = BlockUntilReleased()
        var configuration = HTTPServerConfiguration(address: ListenAddress(host: "127.0.0.1", port: 0))
        configuration.ioThreads = 1
        try withServer(handler, configuration: configuration) { server, certs in
            let slow = try whileBlocked(server, certs: certs, entered: handler.entered, release: handler.release) {
                let fast = try curl(certs, ["https://localhost:\(server.port)/fast"])
                #expect(fast == "fast")
            }
            #expect(slow == "released")
        }
    }
}

/// `/block` waits until the test releases it; every other path answers at once.
private final class BlockUntilReleased: HTTPHandler {
    let entered = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)

    func handle(_ request: HTTPRequest, context: RequestContext) -> HTTPResponse {
        guard request.path == "/block" else { return .text(200, "fast") }
        entered.signal()
        return release.wait(timeout: .now() + 20) == .success ? .text(200, "released") : .text(500, "never released")
    }
}
