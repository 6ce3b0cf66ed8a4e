import Foundation
import HTTPTransport
import Logging
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
        let tls = try TLSContextReloader(
            certificatePath: certs.appendingPathComponent("server.pem").path,
            privateKeyPath: certs.appendingPathComponent("server-key.pem").path,
            clientCAPath: certs.appendingPathComponent("ca.pem").path)
        let server = try HTTPServer(
            configuration: HTTPServerConfiguration(address: ListenAddress(host: "127.0.0.1", port: 0)),
            tls: tls, handler: ContextEcho(), logger: Logger(label: "test"))
        let bound = try server.bind()
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.run()
            finished.signal()
        }
        defer {
            server.stop()
            #expect(finished.wait(timeout: .now() + 10) == .success, "run() did not return after stop()")
        }

        let curl = Process()
        let output = Pipe()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = [
            "-sS", "--max-time", "10", "--cacert", certs.appendingPathComponent("ca.pem").path,
            "--cert", certs.appendingPathComponent("client.pem").path,
            "--key", certs.appendingPathComponent("client-key.pem").path,
            "https://localhost:\(bound.port)/validate?timeout=1s",
        ]
        curl.standardOutput = output
        try curl.run()
        let body = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        #expect(body == "subject=CN=kube-apiserver,O=Portcullis dev deadline<=1s=true")
    }
}
