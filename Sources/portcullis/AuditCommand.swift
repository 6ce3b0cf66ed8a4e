import ArgumentParser
import Foundation

/// `portcullis audit …`: verify, query and summarise the tamper-evident decision log, and make a dev key.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, query, summarise and report on Portcullis audit logs.",
        discussion:
            "Audit logs are directories of <name>-<first seq>.jsonl segments (closed ones gzip-compressed). See docs/AUDIT.md.",
        subcommands: [
            AuditVerifyCommand.self, AuditQueryCommand.self, AuditSummaryCommand.self, AuditReportCommand.self,
            AuditReconcileCommand.self, AuditKeygenCommand.self,
        ]
    )
}

/// A point in time given as a duration back from now (`90s`, `30m`, `24h`, `7d`) or as RFC 3339.
struct TimeArgument: ExpressibleByArgument {
    let date: Date

    init?(argument: String) {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = argument.last.flatMap({ units[$0] }), let amount = Double(argument.dropLast()), amount >= 0 {
            date = Date().addingTimeInterval(-amount * unit)
            return
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: argument) {
            self.date = date
            return
        }
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: argument) else { return nil }
        self.date = date
    }

    static var defaultValueDescription: String { "a duration back from now (30m, 24h, 7d) or an RFC 3339 time" }
}

/// Prints rows as columns padded to the widest cell in each block of rows.
struct TableWriter {
    let headers: [String]
    private var rows: [[String]] = []

    init(headers: [String]) { self.headers = headers }

    var count: Int { rows.count }

    mutating func add(_ row: [String]) { rows.append(row) }

    /// Prints the buffered rows (with the header the first time) and empties the buffer.
    mutating func flush(header: Bool) {
        let all = (header ? [headers] : []) + rows
        guard !all.isEmpty else { return }
        var widths = headers.map(\.count)
        for row in all {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        for row in all {
            let cells = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
        rows.removeAll()
    }
}
