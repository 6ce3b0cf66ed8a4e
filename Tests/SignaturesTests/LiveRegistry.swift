import Foundation
import HTTPTransport
import PortcullisCrypto

@testable import Signatures

#if canImport(Glibc)
    import Glibc
#endif

/// Real components for the live tests: Debian's `docker-registry` on 127.0.0.1 with TLS from certs-dev, filled by
/// the independent Python signer (`Tests/Support/signer/push_scenarios.py`), plus helper servers.
final class LiveRegistry: Sendable {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The TLS registry with every scenario; built once per test process.
    static let shared: Result<LiveRegistry, LiveSetupError> = Result { () throws(LiveSetupError) in
        try LiveRegistry(tokenAuth: false)
    }
    /// A second registry that requires Bearer tokens from `token_service.py`.
    static let withTokenAuth: Result<LiveRegistry, LiveSetupError> = Result { () throws(LiveSetupError) in
        try LiveRegistry(tokenAuth: true)
    }

    let work: String
    let host: String
    let caFile: String
    let scenarios: [String: String]
    /// The token service's `host:port`, when the registry requires Bearer tokens.
    let tokenHost: String?

    private init(tokenAuth: Bool) throws(LiveSetupError) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-registry") else {
            throw LiveSetupError(
                "docker-registry is not installed (apt-get install docker-registry); .ci/run installs it")
        }
        work = NSTemporaryDirectory() + "portcullis-registry-\(getpid())-\(tokenAuth ? "token" : "tls")"
        try? FileManager.default.removeItem(atPath: work)
        let port = LiveRegistry.freePort()
        host = "127.0.0.1:\(port)"
        caFile = work + "/certs/ca.pem"
        var pushArguments = [host, caFile, work + "/out"]
        var startArguments = [work, String(port)]
        var tokenHost: String?
        if tokenAuth {
            let tokenPort = LiveRegistry.freePort()
            try LiveRegistry.run("/bin/mkdir", ["-p", work + "/certs"])
            try LiveRegistry.run(LiveRegistry.repositoryRoot + "/certs-dev/make-dev-certs.sh", [work + "/certs"])
            LiveRegistry.spawn(
                "/usr/bin/timeout",
                [
                    "900", "python3", LiveRegistry.repositoryRoot + "/Tests/Support/registry/token_service.py",
                    String(tokenPort),
                    work + "/certs/client.pem", work + "/certs/client-key.pem", "puller", "s3cret",
                    work + "/certs/server.pem", work + "/certs/server-key.pem",
                ],
                log: work + "/token.log")
            let realm = "https://127.0.0.1:\(tokenPort)/token"
            tokenHost = "127.0.0.1:\(tokenPort)"
            startArguments.append(realm)
            pushArguments += [realm, "puller", "s3cret"]
        }
        try LiveRegistry.run(LiveRegistry.repositoryRoot + "/Tests/Support/registry/start-registry.sh", startArguments)
        try LiveRegistry.run(
            "/usr/bin/python3",
            [LiveRegistry.repositoryRoot + "/Tests/Support/signer/push_scenarios.py"] + pushArguments)
        guard let data = FileManager.default.contents(atPath: work + "/out/scenarios.json"),
            let scenarios = try? JSONSerialization.jsonObject(with: data) as? [String: String]
        else { throw LiveSetupError("the signer wrote no scenarios.json in \(work)/out") }
        self.scenarios = scenarios
        self.tokenHost = tokenHost
    }

    func key(_ name: String) throws -> PublicKey {
        try PublicKey(pem: [UInt8](FileManager.default.contents(atPath: "\(work)/out/\(name).pub")!), source: name)
    }

    func authority(_ keys: [String] = ["trusted"]) throws -> Authority {
        Authority(name: "release", keys: try keys.map(key), imagePatterns: [ImagePattern("127.0.0.1:*/live/*")])
    }

    func verifier(credentials: RegistryCredentials = .init(), cache: VerificationCache = VerificationCache()) throws
        -> ImageVerifier
    {
        let trust = try TLSClientContext(caBundlePath: caFile)
        let http = HTTPClient(tlsByHost: [host: trust].merging(tokenHost.map { [$0: trust] } ?? [:]) { $1 })
        return ImageVerifier(
            client: RegistryClient(
                configuration: .init(requestTimeout: .seconds(2)), http: http, credentials: credentials),
            cache: cache)
    }

    /// Requests the registry logged for `path` so far (its access log has one line per request).
    func requestCount(containing path: String) -> Int {
        let log = (try? String(contentsOfFile: work + "/registry.log", encoding: .utf8)) ?? ""
        return log.split(separator: "\n").filter { $0.contains("response completed") && $0.contains(path) }.count
    }

    // MARK: - processes

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func run(_ tool: String, _ arguments: [String]) throws(LiveSetupError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot + "/Tests/Support/signer")
        process.environment = ownerEnvironment
        // A file, not a pipe: the registry the script leaves running would inherit a pipe and keep it open.
        let errorLog = NSTemporaryDirectory() + "portcullis-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        _ = FileManager.default.createFile(atPath: errorLog, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorLog) }
        process.standardError = FileHandle(forWritingAtPath: errorLog)
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { throw LiveSetupError("cannot run \(tool): \(error)") }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? ""
            throw LiveSetupError("\(tool) \(arguments.joined(separator: " ")) failed: \(message)")
        }
    }

    /// Starts a background helper; the caller waits for it to be ready.
    @discardableResult
    static func spawn(_ tool: String, _ arguments: [String], log: String) -> Process {
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        process.environment = ownerEnvironment
        try? process.run()
        // Helpers print "ready" once listening.
        for _ in 0..<200 where !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("ready") {
            usleep(10_000)
        }
        return process
    }

    /// Helpers watch this process and stop when it is gone, however the test run ends.
    static var ownerEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.merging(
            ["OWNER_PID": String(getpid()), "PORTCULLIS_TEST_OWNER": String(getpid())]) { $1 }
    }
}

/// The live environment could not be built; the message says what to install or look at.
struct LiveSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A misbehaving registry (`Tests/Support/registry/fake_registry.py`) on a fresh port: plain HTTP, or TLS with the shared
/// live registry's certificates (which name both 127.0.0.1 and localhost).
struct FakeRegistry {
    let host: String
    let port: Int
    let log: String
    /// The CA bundle of a TLS fake, `nil` for plain HTTP.
    let caFile: String?

    init(mode: String, target: String = "", tls: Bool = false) throws {
        port = LiveRegistry.freePort()
        host = "127.0.0.1:\(port)"
        log = NSTemporaryDirectory() + "portcullis-fake-\(getpid())-\(port).log"
        let certificates = tls ? try LiveRegistry.shared.get().work + "/certs" : ""
        caFile = tls ? certificates + "/ca.pem" : nil
        LiveRegistry.spawn(
            "/usr/bin/timeout",
            [
                "900", "python3", LiveRegistry.repositoryRoot + "/Tests/Support/registry/fake_registry.py",
                String(port), mode,
                target, certificates,
            ],
            log: log)
    }

    /// The requests the fake has seen, as `request HOST PATH auth=yes|no` lines.
    var requests: [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("request ") }
    }

    func verifier(
        tlsByHost: [String: TLSClientContext] = [:], credentials: RegistryCredentials = .init(),
        tokenRealms: [String: Set<String>] = [:], cache: VerificationCache = VerificationCache()
    ) -> ImageVerifier {
        ImageVerifier(
            client: RegistryClient(
                configuration: .init(
                    insecureRegistries: caFile == nil ? [host] : [], tokenRealms: tokenRealms,
                    requestTimeout: .milliseconds(800)),
                http: HTTPClient(tlsByHost: tlsByHost), credentials: credentials),
            cache: cache)
    }

    /// A TLS context trusting this fake's certificate.
    func trust() throws -> TLSClientContext { try TLSClientContext(caBundlePath: caFile ?? "") }
}

extension RegistryCredentials {
    /// The basic credentials `puller:s3cret` for `host`, as a Docker config.json would name them.
    static func puller(at host: String) throws -> RegistryCredentials {
        let auth = Data("puller:s3cret".utf8).base64EncodedString()
        return try RegistryCredentials(dockerConfigJSON: Array("{\"auths\":{\"\(host)\":{\"auth\":\"\(auth)\"}}}".utf8))
    }
}
