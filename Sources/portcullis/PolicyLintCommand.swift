import ArgumentParser
import Policy
import Webhook

/// `portcullis policy lint FILE`: every problem with its line and column, exit 2 when there are any.
struct PolicyLintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint", abstract: "Report every error in a policy file with its line and column.")

    @Argument(help: "The policy file.")
    var file: String

    @Option(
        help: ArgumentHelp(
            "A `kubectl get storageclass -o yaml` dump: check that each class's storage classes provision only in"
                + " its zones and regions."))
    var clusterStorage: String?

    func run() throws {
        let (policy, _) = try InputFile.loadPolicy(file)
        if let clusterStorage {
            let bytes = try InputFile.read(clusterStorage)
            let findings: [ClusterStorageReview.Finding]
            do {
                let classes = try ClusterStorageReview.parse(yaml: String(decoding: bytes, as: UTF8.self))
                findings = ClusterStorageReview.review(classes, policy: policy)
            } catch {
                InputFile.printError("\(clusterStorage): \(error)")
                throw ExitCode(2)
            }
            for finding in findings { InputFile.printError("\(clusterStorage): \(finding)") }
            if findings.contains(where: \.isError) { throw ExitCode(2) }
        }
        // A map entry the rendered webhooks cannot route silently classifies nothing; say which and why.
        for entry in WebhookConfigurationRenderer().unroutableNamespaces(policy.namespaceClasses) {
            InputFile.printError("\(file): warning: namespaceClasses \"\(entry.namespace)\" \(entry.reason)")
        }
        print(
            "\(file): ok, classes \(policy.classNames.joined(separator: ", ")), \(policy.exemptions.count) exemption(s)"
        )
    }
}
