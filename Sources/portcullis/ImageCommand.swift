import ArgumentParser
import Dispatch
import Foundation
import HTTPTransport
import PortcullisCrypto
import Signatures

/// `portcullis image …`: tools for the image checks the webhook makes.
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Inspect how Portcullis sees an image.", subcommands: [ImageVerifyCommand.self])
}

/// `portcullis image verify REF`: runs the webhook's signature verification for one image and prints, per signature
/// found, each check and why it passed or failed — what a developer reaches for when an image is denied.
///
/// Trust comes from flags until the policy's `authorities` section is wired in (`--policy/--class` will then select
/// the class's authorities); the verification itself is the webhook's `ImageVerifier`.
struct ImageVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify an image's cosign signatures against trusted keys.")

    @Argument(help: "The image, e.g. registry.internal/ml/trainer@sha256:… (a tag is resolved, with a warning).")
    var image: String

    @Option(name: .customLong("key"), help: "PEM public key file of the authority (repeat for key rotation).")
    var keys: [String] = []

    @Option(help: "Name of the authority, for messages.")
    var authority = "cli"

    @Option(name: .customLong("pattern"), help: "Image glob the authority covers (default: any image).")
    var patterns: [String] = []

    @Option(help: "Identity rule: matchRepository (default), any, or remap:IMAGE_PREFIX=SIGNED_PREFIX.")
    var identity = "matchRepository"

    @Option(name: .customLong("ca"), help: "HOST[:PORT]=FILE: CA bundle for one registry (repeatable).")
    var caBundles: [String] = []

    @Option(name: .customLong("insecure"), help: "Registry HOST[:PORT] to reach over plain HTTP (repeatable).")
    var insecureRegistries: [String] = []

    @Option(help: "Docker config.json with registry credentials.")
    var dockerConfig: String?

    @Option(help: "Overall budget in seconds.")
    var timeout: Double = 10

    func run() throws {
        guard !keys.isEmpty else { throw ValidationError("give at least one --key FILE") }
        let trusted = try keys.map { path in
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            return try PublicKey(pem: [UInt8](data), source: path)
        }
        let rule = try identityRule()
        let authority = Authority(
            name: authority, keys: trusted, imagePatterns: (patterns.isEmpty ? ["**"] : patterns).map(ImagePattern.init),
            identity: rule)
        var tls: [String: TLSClientContext] = [:]
        for entry in caBundles {
            guard let equals = entry.firstIndex(of: "=") else { throw ValidationError("--ca wants HOST=FILE, got \(entry)") }
            tls[String(entry[..<equals])] = try TLSClientContext(caBundlePath: String(entry[entry.index(after: equals)...]))
        }
        var credentials = RegistryCredentials()
        if let dockerConfig {
            guard let data = FileManager.default.contents(atPath: dockerConfig) else { throw ValidationError("cannot read \(dockerConfig)") }
            credentials = try RegistryCredentials(dockerConfigJSON: [UInt8](data))
        }
        let verifier = ImageVerifier(
            client: RegistryClient(
                configuration: .init(insecureRegistries: Set(insecureRegistries)), http: HTTPClient(tlsByHost: tls),
                credentials: credentials))
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0.1, timeout) * 1e9)

        print("image      \(image)")
        for key in trusted { print("trusting   \(key) for authority \(authority.name), identity rule \(rule)") }
        let outcome = verifier.verify(image: image, authorities: [authority], requireAll: false, deadline: deadline)
        if let digest = outcome.digest { print("digest     \(digest)") }
        for warning in outcome.warnings { print("warning    \(warning)") }
        for check in outcome.checks {
            print("\nsignature  \(check.candidate) (authority \(check.authority))")
            for step in check.steps { print("  \(step)") }
        }
        print("")
        switch outcome.result {
        case .success(let signatures):
            for signature in signatures {
                let annotations = signature.annotations.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                print("VERIFIED   by \(signature.authority) with key \(signature.keyFingerprint) (\(signature.format.rawValue))"
                    + (annotations.isEmpty ? "" : "; annotations: \(annotations.joined(separator: ", "))"))
            }
        case .failure(let failure):
            print("DENIED     \(failure.reason.rawValue): \(failure.message)")
            throw ExitCode(1)
        }
    }

    private func identityRule() throws -> IdentityRule {
        switch identity {
        case "matchRepository": return .matchRepository
        case "any": return .any
        default:
            guard identity.hasPrefix("remap:"), let equals = identity.firstIndex(of: "=") else {
                throw ValidationError("--identity is matchRepository, any or remap:IMAGE_PREFIX=SIGNED_PREFIX, got \(identity)")
            }
            return .remap(
                imagePrefix: String(identity[identity.index(identity.startIndex, offsetBy: 6)..<equals]),
                signedPrefix: String(identity[identity.index(after: equals)...]))
        }
    }
}
