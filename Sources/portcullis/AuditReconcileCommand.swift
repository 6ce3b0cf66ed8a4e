import ArgumentParser
import AuditReading
import Foundation
import Policy
import Webhook

/// `portcullis audit reconcile`: exit 0 consistent, 1 findings, 2 unreadable input (as `audit verify`).
struct AuditReconcileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare the audit log with the API server's audit log, the record kept off the node.",
        discussion: """
            Reports decisions no API server event anchors (forged lines, direct callers), API server events whose \
            Portcullis line is missing or differs (deleted, rolled back, forked), and pods created in regulated \
            namespaces with no Portcullis annotation (webhook bypassed). Exit status: 0 consistent, 1 findings, \
            2 unreadable input. See docs/AUDIT.md, "Reconciling with the API server's audit log".
            """
    )

    @Option(
        name: .customLong("apiserver-audit"), parsing: .upToNextOption,
        help: ArgumentHelp(
            "The API server's audit log: audit.k8s.io/v1 Event JSON lines (log backend), plain or .gz.",
            valueName: "file"))
    var apiServerAudit: [String]

    @Option(help: ArgumentHelp("The policy: its namespaceClasses and defaultClass say which namespaces are regulated."))
    var policy: String

    @Option(
        name: .customLong("fail-open"),
        help: ArgumentHelp(
            "A class whose webhook is failurePolicy Ignore (as given to `portcullis manifests --fail-open`): its pods "
                + "may be created without Portcullis. Repeat for several.",
            valueName: "class"))
    var failOpen: [String] = []

    @Argument(help: "Segment files or directories of segments of the Portcullis log.")
    var paths: [String]

    func validate() throws {
        guard !apiServerAudit.isEmpty else { throw ValidationError("--apiserver-audit needs at least one file") }
    }

    func run() throws {
        let document = try InputFile.loadPolicy(policy).policy
        if let unknown = failOpen.first(where: { document.classes[$0] == nil }) {
            printError(
                "portcullis audit reconcile: --fail-open \(unknown) is not a class of \(policy) "
                    + "(defined: \(document.classNames.joined(separator: ", ")))")
            throw ExitCode(2)
        }
        let regulated = RegulatedNamespaces(
            namespaceClasses: document.namespaceClasses, defaultClass: document.defaultClass, failOpen: Set(failOpen),
            excluded: Set(WebhookConfigurationRenderer().excludedNamespaces))
        let result: Reconciliation
        do {
            result = try AuditReconciler(regulated: regulated).reconcile(
                apiServerAudit: apiServerAudit, logPaths: paths)
        } catch {
            printError("portcullis audit reconcile: \(error)")
            throw ExitCode(2)
        }
        print(result.report.joined(separator: "\n"))
        if !result.isConsistent { throw ExitCode(1) }
    }
}
