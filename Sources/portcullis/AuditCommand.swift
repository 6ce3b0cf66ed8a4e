import ArgumentParser

/// Placeholder: `portcullis audit` lands with its issue and replaces this file.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Not built yet.")
    func run() throws { throw ValidationError("portcullis audit is not built yet") }
}
