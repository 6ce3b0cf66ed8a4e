import ArgumentParser
import Audit
import AuditReading
import Foundation

/// `portcullis audit query`: filter decisions for a reviewer, as a table or JSON lines.
struct AuditQueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "List decisions matching filters, oldest first (reads gzip segments; --follow tails the live log)."
    )

    enum Format: String, ExpressibleByArgument { case table, json }

    @Option(name: .long, help: "allowed, denied, warned or error (repeat or comma-separate for several).")
    var decision: [String] = []
    @Option(name: .long) var namespace: String?
    @Option(name: [.customLong("class")], help: "Data class.") var dataClass: String?
    @Option(name: .long, help: "A rule ID that must be among the decision's rules.") var rule: String?
    @Option(name: .long) var user: String?
    @Option(name: .long, help: "Text found in any image reference or digest: containers' or volumes' (models).")
    var image: String?
    @Option(name: .long, help: "The request's UID.") var uid: String?
    @Option(name: .long, help: "CREATE, UPDATE, DELETE or CONNECT; OPERATION/SUBRESOURCE to match a subresource too.")
    var operation: String?
    @Option(name: .long, help: "only: server dry runs alone; exclude: everything but them.")
    var dryRun: AuditQuery.DryRunFilter?
    @Option(
        name: .long,
        help: "certificate or unauthenticated (how the caller authenticated), or text in its subject or address.")
    var caller: String?
    @Option(name: .long, help: "From this time: 24h, 30m, 7d back from now, or RFC 3339.") var since: TimeArgument?
    @Option(name: .long, help: "Before this time (same forms as --since).") var until: TimeArgument?
    @Option(name: .shortAndLong, help: "table (default) or json (one stored line per decision).") var output: Format =
        .table
    @Option(
        name: .long,
        help: "decision (default) or control (server start/stop, policy, trust, certificate, audit health).")
    var type: AuditQuery.LineType = .decision
    @Flag(name: .long, help: "Keep printing decisions as they are written.") var follow = false
    @Argument(help: "Segment files or directories of segments.") var paths: [String]

    func run() throws {
        var query = AuditQuery()
        for value in decision.flatMap({ $0.split(separator: ",") }) {
            guard let parsed = AuditRecord.Decision(rawValue: String(value)) else {
                throw ValidationError("--decision \(value): expected one of allowed, denied, warned, error")
            }
            query.decisions.insert(parsed)
        }
        query.namespace = namespace
        query.dataClass = dataClass
        query.rule = rule
        query.user = user
        query.image = image
        query.since = since?.date
        query.until = until?.date
        query.uid = uid
        query.operation = operation
        query.dryRun = dryRun
        query.caller = caller
        if type == .control {
            guard decision.isEmpty, namespace == nil, dataClass == nil, rule == nil, user == nil, image == nil,
                uid == nil, operation == nil, dryRun == nil, caller == nil
            else {
                throw ValidationError(
                    "--type control filters by --since/--until only; the other filters are for decisions")
            }
        }
        var table = TableWriter(
            headers: type == .control
                ? ["TIME", "SEQ", "EVENT", "MESSAGE"]
                : [
                    "TIME", "SEQ", "DECISION", "OPERATION", "DRY-RUN", "CLASS", "NAMESPACE", "NAME", "KIND", "USER",
                    "CALLER", "UID", "RULES",
                ])
        var printedHeader = false
        do {
            try query.scan(paths: paths, types: [type], follow: follow) { line in
                switch (line, output) {
                case (.decision(let entry), .json): print(entry.line)
                case (.control(let entry), .json): print(entry.line)
                case (.decision(let entry), .table):
                    let r = entry.record
                    table.add([
                        entry.time, String(entry.seq), r.decision.rawValue,
                        r.operation + (r.subResource.map { "/" + $0 } ?? ""), r.dryRun ? "yes" : "-",
                        r.dataClass ?? "-", r.namespace ?? "-", r.name ?? r.generateName ?? "-", r.kind.kind, r.user,
                        r.caller.map { $0.auth == "certificate" ? ($0.subject ?? "certificate") : $0.auth } ?? "-",
                        r.uid, r.rules.map(\.id).joined(separator: ",") + (r.reason.map { " (\($0))" } ?? ""),
                    ])
                case (.control(let entry), .table):
                    table.add([entry.time, String(entry.seq), entry.event.event.rawValue, entry.event.message])
                case (.oversized(let file, let seq, let length), _):
                    // Not a match or a miss: its content cannot be read, so the reader is told it was skipped.
                    printError(
                        "portcullis audit query: note: \(file): seq \(seq.map(String.init) ?? "?") is a \(length)-byte "
                            + "line over the line limit (an older writer); it is chained and verified but not read here"
                    )
                }
                // Follow mode prints each row as it arrives; otherwise blocks of rows are aligned together.
                if output == .table, follow || table.count >= 1000 {
                    table.flush(header: !printedHeader)
                    printedHeader = true
                }
                if follow { fflush(nil) }  // nil flushes every stream, stdout included
                return true
            }
        } catch {
            printError("portcullis audit query: \(error)")
            throw ExitCode(2)
        }
        if output == .table { table.flush(header: !printedHeader) }
    }
}

extension AuditQuery.LineType: ExpressibleByArgument {}
extension AuditQuery.DryRunFilter: ExpressibleByArgument {}
