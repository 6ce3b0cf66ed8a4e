import ArgumentParser
import Audit
import AuditReading
import Foundation
import PortcullisCrypto

/// `portcullis audit report`: the evidence report for an auditor, as one self-contained HTML page
/// or as JSON with the same aggregates for a SIEM.
struct AuditReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an evidence report: integrity verdict, decisions over time, denials, images, controls.",
        discussion: """
            -o takes a file (report.html, report.json; the extension picks the format unless --format is given), \
            `-` for standard output, or just `html` / `json` to print that format. Integrity is checked over the \
            whole log; the other sections cover --since … --until. Exit 1 when the log does not verify (the report \
            is still written, leading with the failure), 2 when it cannot be read.
            """)

    enum Format: String, ExpressibleByArgument { case html, json }

    @Option(name: .long, help: "From this time: 24h, 30m, 7d back from now, or RFC 3339.") var since: TimeArgument?
    @Option(name: .long, help: "Before this time (same forms as --since).") var until: TimeArgument?
    @Option(name: .long, help: "Reviewer's Ed25519 public key (PEM), to check checkpoint signatures.") var key: String?
    @Option(name: .shortAndLong, help: "Output file, `-`, or a format name (html, json).") var output = "-"
    @Option(name: .long, help: "html or json (default: from the output file's extension, else html).") var format:
        Format?
    @Option(name: .long, help: "Rows kept in each breakdown.") var top = 20
    @Argument(help: "Segment files or directories of segments.") var paths: [String]

    func run() throws {
        let report: AuditReport
        do {
            var builder = AuditReportBuilder(
                key: try key.map { path in try Ed25519PublicKey(pemFile: path) }, since: since?.date,
                until: until?.date)
            builder.topN = top
            report = try builder.build(paths: paths)
        } catch {
            printError("portcullis audit report: \(error)")
            throw ExitCode(2)
        }
        let namedFormat = Format(rawValue: output)
        let resolved = format ?? namedFormat ?? (output.hasSuffix(".json") ? .json : .html)
        let bytes: Data
        switch resolved {
        case .html:
            bytes = Data(AuditReportHTML.render(report).utf8)
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            bytes = try encoder.encode(report) + Data("\n".utf8)
        }
        if output == "-" || namedFormat != nil {
            FileHandle.standardOutput.write(bytes)
        } else {
            do { try bytes.write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                printError("portcullis audit report: cannot write \(output): \(error.localizedDescription)")
                throw ExitCode(2)
            }
            print(
                "\(output): \(report.integrity.verdict); \(report.totals.decisions) decisions, "
                    + "\(report.totals.denied) denied, \(report.totals.control) control events")
        }
        if report.integrity.verdict == "tampered" { throw ExitCode(1) }
    }
}
