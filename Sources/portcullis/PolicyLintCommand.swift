import ArgumentParser
import Policy
import Webhook

/// `portcullis policy lint FILE`: every problem with its line and column, exit 2 when there are any.
struct PolicyLintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint", abstract: "Report every error in a policy file with its line and column.")

    @Argument(help: "The policy file.")
    var file: String

    func run() throws {
        let (policy, _) = try InputFile.loadPolicy(file)
        // A map entry the rendered webhooks cannot route silently classifies nothing; say which and why.
        for entry in WebhookConfigurationRenderer().unroutableNamespaces(policy.namespaceClasses) {
            InputFile.printError("\(file): warning: namespaceClasses \"\(entry.namespace)\" \(entry.reason)")
        }
        print(
            "\(file): ok, classes \(policy.classNames.joined(separator: ", ")), \(policy.exemptions.count) exemption(s)"
        )
    }
}
