import ArgumentParser
import Audit
import AuditReading
import Foundation

/// `portcullis audit summary`: what was denied, by class, rule, namespace and user.
struct AuditSummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Count decisions, denials by class, rule, namespace and user, and control events."
    )

    @Option(name: .long, help: "From this time: 24h, 30m, 7d back from now, or RFC 3339.")
    var since = TimeArgument(argument: "24h")!
    @Argument(help: "Segment files or directories of segments.") var paths: [String]

    func run() throws {
        var query = AuditQuery()
        query.since = since.date
        var summary = AuditSummary()
        do {
            try query.scan(paths: paths, types: [.decision, .control]) { line in
                summary.add(line)
                return true
            }
        } catch {
            printError("portcullis audit summary: \(error)")
            throw ExitCode(2)
        }
        let total = summary.decisions.values.reduce(0, +)
        let byDecision = AuditRecord.Decision.allCases.map { "\($0.rawValue) \(summary.decisions[$0] ?? 0)" }
        let controls = summary.controlEvents.values.reduce(0, +)
        print(
            "\(total) decisions since \(ISO8601DateFormatter().string(from: since.date)): \(byDecision.joined(separator: ", "))"
                + "; \(summary.dryRuns) dry runs (not admissions); \(controls) control events"
        )
        if summary.unauthenticated > 0 {
            print(
                "warning: \(summary.unauthenticated) decision(s) from unauthenticated callers (no verified client "
                    + "certificate): anyone who could reach the webhook port may have sent them")
        }
        if summary.oversizedLines > 0 {
            print(
                "note: \(summary.oversizedLines) line(s) over the line limit (an older writer) are not counted; "
                    + "`portcullis audit verify` names them")
        }
        for (title, counts) in [
            ("CLASS", summary.deniedByClass), ("RULE", summary.deniedByRule),
            ("NAMESPACE", summary.deniedByNamespace), ("USER", summary.deniedByUser),
        ] {
            print("")
            var table = TableWriter(headers: ["DENIED BY \(title)", "COUNT"])
            for (name, count) in counts.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                table.add([name, String(count)])
            }
            table.flush(header: true)
        }
        print("")
        var table = TableWriter(headers: ["CONTROL EVENT", "COUNT"])
        for (name, count) in summary.controlEvents.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
            table.add([name, String(count)])
        }
        table.flush(header: true)
    }
}
