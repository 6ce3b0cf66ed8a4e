import ArgumentParser

/// Placeholder: `portcullis serve` lands with its issue and replaces this file.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Not built yet.")
    func run() throws { throw ValidationError("portcullis serve is not built yet") }
}
