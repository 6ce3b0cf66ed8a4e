import AdmissionAPI
import ArgumentParser
import Foundation
import Policy
import PortcullisCrypto

/// `portcullis evaluate`: run manifests or AdmissionReviews through the policy, the way a platform team's
/// CI would before `kubectl apply`. Exit 0 when every object is allowed, 1 when any is denied, 2 on bad input.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate manifests or AdmissionReviews against a policy.",
        discussion: "Exit status: 0 all allowed, 1 any denied, 2 bad input or policy.")

    enum Format: String, ExpressibleByArgument {
        case text, json
    }

    @Option(help: "The policy file.")
    var policy: String

    @Option(name: .customLong("class"), help: "Data class, as in /validate/<class>; omit to resolve by namespace.")
    var className: String?

    @Option(name: .shortAndLong, help: "Multi-document YAML or JSON manifests or AdmissionReviews; - for stdin.")
    var file: String

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: Format = .text

    @Option(
        name: .customLong("as"),
        help: "The user that will apply the manifests (as kubectl --as), for exemptions by user or service account.")
    var requester = ""

    @Option(name: .customLong("as-group"), help: "A group of that user (repeatable), for exemptions by group.")
    var groups: [String] = []

    func run() throws {
        let (document, policyBytes) = try InputFile.loadPolicy(policy)
        if let className, document.classes[className] == nil {
            InputFile.printError(
                "error: \(policy) defines no class \"\(className)\" (defined: \(document.classNames.joined(separator: ", ")))"
            )
            throw ExitCode(2)
        }
        let input = try InputFile.read(file)
        let digest = SHA256.hex(of: policyBytes)
        let engine = PolicyEngine(policy: document, policySHA256: digest)
        let result = ManifestEvaluation.run(
            input: input, engine: engine, className: className, now: Date(),
            requester: UserInfo(username: requester, groups: groups))
        if output == .json {
            print(result.json(), terminator: "")
        } else {
            print("policy \(policy) sha256:\(digest)")
            print(result.text(), terminator: "")
        }
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
    }
}
