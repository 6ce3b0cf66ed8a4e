import ArgumentParser

/// The `portcullis` command: serve the webhook, evaluate manifests, lint policy, verify images and audit logs,
/// render the webhook configuration.
@main
struct Portcullis: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validating admission webhook for regulated AI zones.",
        subcommands: [
            ServeCommand.self, EvaluateCommand.self, PolicyCommand.self, AuditCommand.self, ImageCommand.self,
            ManifestsCommand.self,
        ]
    )
}
