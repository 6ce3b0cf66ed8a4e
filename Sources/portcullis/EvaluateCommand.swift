import ArgumentParser

/// Placeholder: `portcullis evaluate` lands with its issue and replaces this file.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "Not built yet.")
    func run() throws { throw ValidationError("portcullis evaluate is not built yet") }
}
