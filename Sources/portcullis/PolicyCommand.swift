import ArgumentParser

/// Placeholder: `portcullis policy` lands with its issue and replaces this file.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "policy", abstract: "Not built yet.")
    func run() throws { throw ValidationError("portcullis policy is not built yet") }
}
