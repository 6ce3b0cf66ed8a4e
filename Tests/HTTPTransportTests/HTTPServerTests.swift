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

/// An in-process server on a free loopback port, with its `run()` on a thread of its own.
private struct RunningServer {
    let server: HTTPServer
    let port: Int
    private let finished = DispatchSemaphore(value: 0)

    init(
        certs: URL, handler: any HTTPHandler,
        configuration: HTTPServerConfiguration = HTTPServerConfiguration(
            address: ListenAddress(host: "127.0.0.1", port: 0))
    ) throws {
        let tls = try TLSContextReloader(
            certificatePath: certs.appendingPathComponent("server.pem").path,
            privateKeyPath: certs.appendingPathComponent("server-key.pem").path,
            clientCAPath: certs.appendingPathComponent("ca.pem").path, requireClientCertificate: false)
        server = try HTTPServer(configuration: configuration, tls: tls, handler: handler, logger: Logger(label: "test"))
        port = try server.bind().port
        let server = self.server
        let finished = self.finished
        Thread.detachNewThread {
            server.run()
            finished.signal()
        }
    }

    func stop() {
        server.stop()
        #expect(finished.wait(timeout: .now() + 10) == .success, "run() did not return after stop()")
    }
}

/// What curl printed for `arguments`, trusting the test CA.
private func curl(_ certs: URL, _ arguments: [String]) throws -> String {
    let curl = Process()
    let output = Pipe()
    curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    curl.arguments = ["-sS", "--max-time", "10", "--cacert", certs.appendingPathComponent("ca.pem").path] + arguments
    curl.standardOutput = output
    try curl.run()
    let body = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    curl.waitUntilExit()
    return body
}
