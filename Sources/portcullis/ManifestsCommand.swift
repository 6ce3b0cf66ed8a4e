import ArgumentParser
import Foundation
import Policy
import Webhook

/// `portcullis manifests`: the ValidatingWebhookConfiguration for a policy, on stdout.
///
/// The webhook configuration must name exactly the policy's classes; rendering it from the
/// policy (and checking the committed copy in CI) means a new class cannot be forgotten in
/// one of the places that list them.
struct ManifestsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifests",
        abstract: "Print the ValidatingWebhookConfiguration for a policy's data classes.",
        discussion: """
            Every namespace reaches one webhook: those the policy's namespaceClasses maps are sent to \
            /validate/<class> by name, whatever their label; other namespaces labelled <namespace-label>=<class> \
            to /validate/<class>; all others to /validate, where defaultClass applies (or, without one, the \
            request is denied). Every class fails closed (failurePolicy Fail) unless named with --fail-open.
            """
    )

    @Option(help: ArgumentHelp("The policy file whose data classes get a webhook each.", valueName: "file"))
    var policy: String

    @Option(help: "The namespace label whose value names the namespace's data class.")
    var namespaceLabel = "portcullis.io/data-class"

    @Option(
        name: .customLong("fail-open"),
        help: ArgumentHelp(
            "A non-regulated class whose webhook may be skipped when Portcullis is unreachable "
                + "(failurePolicy Ignore). Repeat for several.",
            valueName: "class"
        )
    )
    var failOpen: [String] = []

    @Option(
        help: "The group whose members may remove or change a namespace's class label, or contradict namespaceClasses.")
    var platformGroup = "portcullis:platform-admins"

    func run() throws {
        // Unreadable or invalid: every lint problem as file:line:column, exit 2, as `policy lint` reports it.
        let document = try InputFile.loadPolicy(policy).policy
        let renderer = WebhookConfigurationRenderer(namespaceLabelKey: namespaceLabel, platformGroup: platformGroup)
        do {
            let rendered = try renderer.render(
                classNames: document.classNames, namespaceClasses: document.namespaceClasses,
                defaultClass: document.defaultClass, failOpen: Set(failOpen),
                workloadKinds: document.workloadKinds.map { ($0.group, $0.resource) })
            print(rendered, terminator: "")
        } catch {
            throw ManifestsError("\(policy): \(error.message)")
        }
    }
}

/// A failure of `portcullis manifests` that is not a usage mistake: printed without the usage text.
struct ManifestsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
