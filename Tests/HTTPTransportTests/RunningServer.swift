import Foundation
import HTTPTransport
import Logging
import Synchronization
import Testing

/// Runs `body` against an in-process server for `handler` with fresh certificates, and stops it after.
func withServer(
    _ handler: any HTTPHandler,
    configuration: HTTPServerConfiguration = HTTPServerConfiguration(
        address: ListenAddress(host: "127.0.0.1", port: 0)),
    _ body: (RunningServer, URL) throws -> Void
) throws {
    let certs = try makeCertificates()
    defer { try? FileManager.default.removeItem(at: certs) }
    let server = try RunningServer(certs: certs, handler: handler, configuration: configuration)
    defer { server.stop() }
    try body(server, certs)
}

/// Sends `/block` on a connection of its own, runs `meanwhile` once the handler signals `entered`, then signals
/// `release` and returns what the blocked request was answered.
func whileBlocked(
    _ server: RunningServer, certs: URL, entered: DispatchSemaphore, release: DispatchSemaphore,
    _ meanwhile: () throws -> Void
) throws -> String {
    let answered = DispatchSemaphore(value: 0)
    let slow = Mutex("")
    let port = server.port
    Thread.detachNewThread {
        let answer = (try? curl(certs, ["https://localhost:\(port)/block"])) ?? "curl failed"
        slow.withLock { $0 = answer }
        answered.signal()
    }
    #expect(entered.wait(timeout: .now() + 10) == .success, "the blocking request never arrived")
    try meanwhile()
    release.signal()
    #expect(answered.wait(timeout: .now() + 10) == .success)
    return slow.withLock { $0 }
}

/// An in-process server on a free loopback port, with its `run()` on a thread of its own.
struct RunningServer {
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
func curl(_ certs: URL, _ arguments: [String]) throws -> String {
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

/// What `openssl s_client -quiet` printed after sending `input` on one TLS connection, verbatim: for requests
/// curl will not send (pipelined ones).
func rawTLS(port: Int, _ input: [UInt8]) throws -> String {
    let client = Process()
    let stdin = Pipe()
    let output = Pipe()
    client.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    client.arguments = ["s_client", "-quiet", "-connect", "127.0.0.1:\(port)"]
    client.standardInput = stdin
    client.standardOutput = output
    client.standardError = FileHandle.nullDevice
    try client.run()
    stdin.fileHandleForWriting.write(Data(input))
    let body = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    try? stdin.fileHandleForWriting.close()
    client.waitUntilExit()
    return body
}
