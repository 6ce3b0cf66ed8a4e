import ArgumentParser
import Audit
import Foundation
import PortcullisCrypto

/// `portcullis audit verify`: exit 0 intact, 1 tampered, 2 unreadable.
struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Check every line's chain link, sequence, checkpoint root and signature; report the first broken place.",
        discussion: "Exit status: 0 intact, 1 tampered (the cause is printed), 2 unreadable input."
    )

    @Option(name: .long, help: "The checkpoint signing public key (PEM). Without it signatures are not checked.")
    var key: String?

    @Option(name: .long, help: "A checkpoint kept elsewhere (stdout mirror, witness): the log must contain its tree.")
    var checkpoint: String?

    @Flag(name: .long, help: "The log was closed: lines after the last checkpoint mean it was cut short.")
    var sealed = false

    @Option(
        name: .long,
        help: "Write the verified head (the last checkpoint, a signed C2SP note) here, to pass to --checkpoint later.")
    var saveHead: String?

    @Argument(help: "Segment files or directories of segments.")
    var paths: [String]

    func run() throws {
        let started = Date()
        let reports: [AuditLogReport]
        do {
            let publicKey = try key.map { path in try Ed25519PublicKey(pemFile: path) }
            let external = try checkpoint.map { path in try String(contentsOfFile: path, encoding: .utf8) }
            reports = try AuditVerifier(key: publicKey, requireSealed: sealed, externalCheckpoint: external).verify(
                paths: paths)
        } catch {
            printError("portcullis audit verify: \(error)")
            throw ExitCode(2)
        }
        let elapsed = Date().timeIntervalSince(started)
        let bytes = reports.reduce(0) { $0 + $1.bytes }
        for report in reports {
            if let finding = report.finding {
                print("\(report.base): TAMPERED: \(finding)")
                continue
            }
            let range = report.firstSeq.map { "seq \($0)…\(report.lastSeq ?? $0)" } ?? "empty"
            print(
                "\(report.base): intact: \(report.segments) segment(s), \(report.lines) lines (\(report.treeSize) decisions "
                    + "and events, \(report.checkpoints) checkpoints), \(range), "
                    + (report.signaturesChecked ? "signatures checked" : "signatures NOT checked (no --key)"))
            if report.firstSeq.map({ $0 > 1 }) == true {
                print(
                    "  note: the log starts at seq \(report.firstSeq!); earlier segments were removed by retention (a "
                        + "signed retentionApplied line says so), so it is anchored at its first checkpoint")
            }
            for line in report.oversizedLines {
                print(
                    "  note: \(line.file):\(line.line) (seq \(line.seq)) is \(line.length) bytes, over the line limit "
                        + "(written before it existed): chained and signed, content not read")
            }
            if report.oversizedCount > report.oversizedLines.count {
                print("  note: \(report.oversizedCount - report.oversizedLines.count) more oversized line(s)")
            }
            if let head = report.head {
                // The reviewer's pin: keeping this and passing it to --checkpoint later exposes a rollback or fork.
                let lines = head.split(separator: "\n")
                print(
                    "  head: \(lines.prefix(3).joined(separator: " | ")) (keep it: --save-head FILE, later --checkpoint FILE)"
                )
            }
            if report.unauthenticatedDecisions > 0 {
                print(
                    "  warning: \(report.unauthenticatedDecisions) decision(s) from unauthenticated callers (no "
                        + "verified client certificate): intact, but anyone who could reach the webhook port may "
                        + "have sent them (`audit query --caller unauthenticated` lists them)")
            }
            if report.unsignedTail > 0 {
                print(
                    "  note: \(report.unsignedTail) line(s) after the last checkpoint are chained but not yet signed "
                        + "(a live or crashed writer)")
            }
        }
        print(
            String(
                format: "verified %.1f MB in %.2f s (%.0f MB/s)", Double(bytes) / 1e6, elapsed,
                elapsed > 0 ? Double(bytes) / 1e6 / elapsed : 0))
        if let saveHead {
            guard reports.count == 1, reports[0].isIntact, let head = reports[0].head else {
                printError("portcullis audit verify: --save-head needs exactly one intact log with a checkpoint")
                throw ExitCode(2)
            }
            do { try head.write(toFile: saveHead, atomically: true, encoding: .utf8) } catch {
                printError("portcullis audit verify: cannot write \(saveHead): \(error.localizedDescription)")
                throw ExitCode(2)
            }
        }
        if reports.contains(where: { !$0.isIntact }) { throw ExitCode(1) }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
