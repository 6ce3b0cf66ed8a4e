import ArgumentParser

/// The `portcullis` command: serve the webhook, evaluate manifests, lint policy, verify audit logs.
@main
struct Portcullis: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validating admission webhook for regulated AI zones.",
        subcommands: [
            ServeCommand.self, EvaluateCommand.self, PolicyCommand.self, AuditCommand.self, ManifestsCommand.self,
        ]
    )
}
