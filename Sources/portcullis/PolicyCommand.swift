import AdmissionAPI
import ArgumentParser
import Foundation
import Policy

/// `portcullis policy`: work with policy files.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Check policy files.",
        subcommands: [PolicyLintCommand.self, PolicyBenchCommand.self])
}

/// Reading files for the commands that take a policy or an input file.
enum InputFile {
    /// The bytes of `path`, or of standard input for `-`; an unreadable file is bad input (exit 2).
    static func read(_ path: String) throws -> [UInt8] {
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("error: cannot read \(path)")
            throw ExitCode(2)
        }
        return Array(data)
    }

    /// A policy file's text, parsed; lint problems are printed to standard error as `file:line:column: message`,
    /// and suggestions (older spellings) as `file:line:column: suggestion: message` without failing.
    static func loadPolicy(_ path: String) throws -> (policy: PolicyDocument, bytes: [UInt8]) {
        let bytes = try read(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            printError("error: \(path) is not valid UTF-8")
            throw ExitCode(2)
        }
        do {
            let (document, suggestions) = try PolicyDocument.lint(yaml: text, now: Date())
            for issue in suggestions {
                printError("\(path):\(issue.line):\(issue.column): suggestion: \(issue.message)")
            }
            return (document, bytes)
        } catch {
            for issue in error.issues { printError("\(path):\(issue.line):\(issue.column): \(issue.message)") }
            throw ExitCode(2)
        }
    }

    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// `portcullis policy bench`: time decode + every check of one AdmissionReview in-process, the figure
/// docs/PERFORMANCE.md reports. Hidden: it is a measuring tool, not part of the product.
struct PolicyBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Time decoding and evaluating one AdmissionReview.", shouldDisplay: false)

    @Option(help: "AdmissionReview JSON to evaluate.")
    var review = "examples/admission-review-pod.json"

    @Option(help: "Policy file.")
    var policy = "deploy/policy.yaml"

    @Option(name: .customLong("class"), help: "Data class, as in /validate/<class>.")
    var className = "ephi"

    @Option(help: "Timed iterations (after a warm-up of a tenth as many).")
    var iterations = 20_000

    func run() throws {
        let body = try InputFile.read(review)
        let (document, _) = try InputFile.loadPolicy(policy)
        let engine = PolicyEngine(policy: document, policySHA256: "")
        let now = Date()
        func once() throws -> Bool {
            let request = try AdmissionReviewCodec.decodeRequest(body)
            return engine.evaluate(request, classFromPath: className, now: now).allowed
        }
        let sample = try once()
        for _ in 0..<max(iterations / 10, 1) { _ = try once() }
        let request = try AdmissionReviewCodec.decodeRequest(body)
        // Timed in rounds of 1000; the machine is shared, so the fastest round is the figure least
        // disturbed by other processes, and the median shows what a busy machine gives.
        let rounds = max(iterations / 1000, 1)
        var total: [Double] = []
        var decode: [Double] = []
        var checks: [Double] = []
        for _ in 0..<rounds {
            total.append(try microseconds { for _ in 0..<1000 { _ = try once() } } / 1000)
            decode.append(
                try microseconds { for _ in 0..<1000 { _ = try AdmissionReviewCodec.decodeRequest(body) } } / 1000)
            checks.append(
                microseconds { for _ in 0..<1000 { _ = engine.evaluate(request, classFromPath: className, now: now) } }
                    / 1000)
        }
        func summary(_ values: [Double]) -> String {
            let sorted = values.sorted()
            return String(format: "best %.2f, median %.2f", sorted[0], sorted[sorted.count / 2])
        }
        print(
            "\(review): \(body.count) bytes, \(sample ? "allowed" : "denied") in class \(className),"
                + " \(rounds * 1000) iterations"
        )
        print("  decode + all checks: \(summary(total)) µs/review")
        print("  decode only:         \(summary(decode)) µs/review")
        print("  checks only:         \(summary(checks)) µs/review")
    }

    private func microseconds(_ body: () throws -> Void) rethrows -> Double {
        let elapsed = try ContinuousClock().measure(body)
        return Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
    }
}
