import Foundation
import Testing

/// The repository root: `PORTCULLIS_ROOT` when set, else found from this file's path (Tests/LiveTests/LiveServer.swift).
let repositoryRoot =
    ProcessInfo.processInfo.environment["PORTCULLIS_ROOT"].map { URL(fileURLWithPath: $0) }
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The `portcullis` binary under test: `PORTCULLIS_BIN` when set, else the one built next to this test bundle.
func portcullisBinary() throws -> String {
    if let path = ProcessInfo.processInfo.environment["PORTCULLIS_BIN"] { return path }
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("portcullis"),
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("portcullis"),
        repositoryRoot.appendingPathComponent(".build/debug/portcullis"),
    ]
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw LiveTestError("portcullis binary not found; run `swift build` or set PORTCULLIS_BIN")
    }
    return found.path
}

/// A fresh directory of dev certificates made by certs-dev/make-dev-certs.sh, removed on deinit.
final class DevCertificates: @unchecked Sendable {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "portcullis-live-\(UUID().uuidString)")
        let script = repositoryRoot.appendingPathComponent("certs-dev/make-dev-certs.sh").path
        let result = try ChildProcess.run(script, [directory.path], timeout: .seconds(30))
        guard result.status == 0 else { throw LiveTestError("make-dev-certs.sh failed: \(result.stderr)") }
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

/// `portcullis serve` running on an ephemeral port on 127.0.0.1, stopped (SIGKILL) on deinit if still up.
final class LiveServer: @unchecked Sendable {
    let child: ChildProcess
    let port: Int
    var url: String { "https://localhost:\(port)" }

    init(cert: String, key: String, policy: String = LiveServer.policy, extraArguments: [String] = []) throws {
        child = try ChildProcess(
            try portcullisBinary(),
            ["serve", "--listen", "127.0.0.1:0", "--cert", cert, "--key", key, "--policy", policy]
                + extraArguments,
            mergeStderr: true)
        guard child.stdout.waitFor("listening on https://", timeout: .seconds(15)) else {
            child.kill()
            throw LiveTestError("server did not start; output:\n\(child.stdout.text)")
        }
        let log = child.stdout.text
        guard let range = log.range(of: #"listening on https://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
            let port = Int(log[range].split(separator: ":").last ?? "")
        else { throw LiveTestError("no port in the startup line:\n\(log)") }
        self.port = port
    }

    convenience init(
        _ certificates: DevCertificates, policy: String = LiveServer.policy, extraArguments: [String] = []
    ) throws {
        try self.init(
            cert: certificates.path("server.pem"), key: certificates.path("server-key.pem"), policy: policy,
            extraArguments: extraArguments)
    }

    /// The shipped example policy (`make run` serves it too).
    static let policy = repositoryRoot.appendingPathComponent("deploy/policy.yaml").path

    var log: String { child.stdout.text }
    var pid: Int32 { child.process.processIdentifier }

    func terminate() { kill(child.process.processIdentifier, SIGTERM) }

    /// Open file descriptors of the server process (sockets included), read from /proc.
    var openDescriptors: Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0 }

    /// `curl` against this server, trusting the dev CA; returns the exit status, body and verbose log.
    func curl(_ certificates: DevCertificates, _ arguments: [String], timeout: Duration = .seconds(20)) throws
        -> (status: Int32?, stdout: String, stderr: String)
    {
        try ChildProcess.run(
            "curl",
            ["-sS", "--max-time", "\(Int(timeout.seconds))", "--cacert", certificates.path("ca.pem")] + arguments,
            timeout: timeout + .seconds(5))
    }

    /// `openssl s_client` against this server with extra arguments; stdin is closed at once.
    func sClient(_ arguments: [String]) throws -> String {
        let result = try ChildProcess.run(
            "openssl", ["s_client", "-connect", "127.0.0.1:\(port)"] + arguments, input: "", timeout: .seconds(15))
        return result.stdout + result.stderr
    }

    /// A raw TLS connection through `openssl s_client -quiet`: what is sent goes to the server verbatim.
    func tlsPipe(_ extra: [String] = []) throws -> ChildProcess {
        try ChildProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-quiet", "-nocommands"] + extra)
    }
}

/// Certificate files laid out the way kubelet mounts a Secret (`tls.crt -> ..data/tls.crt`, `..data` a
/// generation directory swapped by rename), so a rotation is one atomic change the server's poll sees whole.
struct CertificateMount {
    let directory: URL
    var cert: String { directory.appendingPathComponent("tls.crt").path }
    var key: String { directory.appendingPathComponent("tls.key").path }

    init(in parent: URL, cert: String, key: String) throws {
        directory = parent.appendingPathComponent("mount")
        try switchTo(cert: cert, key: key)
        for file in ["tls.crt", "tls.key"] {
            try FileManager.default.createSymbolicLink(
                atPath: directory.appendingPathComponent(file).path, withDestinationPath: "..data/\(file)")
        }
    }

    func switchTo(cert: String, key: String) throws {
        let name = "gen-\(UUID().uuidString)"
        let generationDirectory = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: generationDirectory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: cert, toPath: generationDirectory.appendingPathComponent("tls.crt").path)
        try FileManager.default.copyItem(
            atPath: key, toPath: generationDirectory.appendingPathComponent("tls.key").path)
        let link = directory.appendingPathComponent("..data_tmp").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: name)
        guard rename(link, directory.appendingPathComponent("..data").path) == 0 else {
            throw LiveTestError("cannot swap the certificate mount: \(String(cString: strerror(errno)))")
        }
    }
}
