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
        let certs = try makeCertificates()
        defer { try? FileManager.default.removeItem(at: certs) }
        let handler = BlockUntilReleased()
        var configuration = HTTPServerConfiguration(address: ListenAddress(host: "127.0.0.1", port: 0))
        configuration.ioThreads = 1
        let server = try RunningServer(certs: certs, handler: handler, configuration: configuration)
        defer { server.stop() }
        let blocked = DispatchSemaphore(value: 0)
        let slow = Mutex("")
        let port = server.port
        Thread.detachNewThread {
            let answer = (try? curl(certs, ["https://localhost:\(port)/block"])) ?? "curl failed"
            slow.withLock { $0 = answer }
            blocked.signal()
        }
        #expect(handler.entered.wait(timeout: .now() + 10) == .success, "the blocking request never arrived")
        #expect(try curl(certs, ["https://localhost:\(server.port)/fast"]) == "fast")
        handler.release.signal()
        #expect(blocked.wait(timeout: .now() + 10) == .success)
        #expect(slow.withLock { $0 } == "released")
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
