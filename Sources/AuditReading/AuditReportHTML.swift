import Audit
import Foundation

/// Renders an `AuditReport` as one self-contained HTML page: no external scripts, fonts or images,
/// charts as inline SVG, print styles, so it can be mailed to an auditor and opened offline.
///
/// Every number a reader (or a test driving a browser) looks for carries a stable `id` or
/// `data-*` attribute; the integrity verdict comes first because nothing below it means anything
/// if the record was edited.
public enum AuditReportHTML {
    public static func render(_ report: AuditReport) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Portcullis audit evidence report</title>
            <style>\(style)</style></head><body>
            <h1>Portcullis audit evidence report</h1>
            <p class="meta">Generated \(e(report.generated)) · period \(e(report.since ?? "start of log")) → \
            \(e(report.until ?? "end of log")) · report format v\(report.reportVersion)</p>

            """
        html += integrity(report.integrity)
        html += totals(report.totals)
        html += section("Admissions and denials over time", timeline(report.timeline))
        html += section("Controls in force: policy, trust material, certificates, audit health", controls(report))
        html += "<div class=\"grid\">"
        html += section("Denials by rule", counts(report.deniedByRule, id: "denied-by-rule"))
        html += section("Denials by class", counts(report.deniedByClass, id: "denied-by-class"))
        html += section("Denials by namespace", counts(report.deniedByNamespace, id: "denied-by-namespace"))
        html += section("Denials by user", counts(report.deniedByUser, id: "denied-by-user"))
        html += "</div>"
        html += section("Top denial messages", counts(report.topDenialMessages, id: "denial-messages"))
        html += section(
            "Decisions from unauthenticated callers, by address",
            counts(report.unauthenticatedCallers, id: "unauthenticated-callers"))
        html += section("Images admitted", images(report.imagesAdmitted))
        html += section("Models and artifacts admitted", models(report.modelsAdmitted))
        html += "<div class=\"grid\">"
        html += section(
            "Admitted in warn/audit mode that enforce mode would have denied",
            counts(report.wouldHaveDenied, id: "would-have-denied"))
        html += section("Exemptions applied", counts(report.exemptions, id: "exemptions"))
        html += "</div></body></html>\n"
        return html
    }

    private static func integrity(_ integrity: AuditReport.Integrity) -> String {
        let (title, detail): (String, String)
        switch integrity.verdict {
        case "tampered":
            title = "INTEGRITY FAILURE: the audit log does not verify"
            detail = "The record below cannot be relied on. First broken place:"
        case "unsigned":
            title = "Chain intact; checkpoint signatures NOT checked"
            detail = "Give the reviewer's public key (--key) to check every checkpoint signature."
        default:
            title = "Integrity verified: hash chain and signed checkpoints intact"
            detail = "Every line's prev link, sequence number, Merkle root and checkpoint signature checked."
        }
        var html = """
            <section id="integrity" class="integrity \(e(integrity.verdict))" data-verdict="\(e(integrity.verdict))" \
            data-unauthenticated="\(integrity.unauthenticatedDecisions)">
            <h2 id="verdict">\(e(title))</h2><p>\(e(detail))</p>
            """
        if integrity.unauthenticatedDecisions > 0 {
            // Next to the verdict: an intact chain proves the lines were not edited, not who asked for them.
            html += """
                <p class="finding" id="unauthenticated-warning"><b>\(integrity.unauthenticatedDecisions) decision(s) \
                from unauthenticated callers</b>: no verified client certificate; anyone who could reach the webhook \
                port may have sent them. Serve with --client-ca to tell the API server's calls apart.</p>
                """
        }
        for log in integrity.logs {
            if let finding = log.finding {
                html += """
                    <p class="finding" data-cause="\(e(log.findingCause ?? ""))"><b>\(e(log.findingCause ?? ""))</b>: \
                    \(e(finding))</p>
                    """
            }
        }
        html += "<table class=\"facts\">"
        html += row(
            "Checkpoint key (SHA-256 of the Ed25519 public key)", integrity.keyFingerprint ?? "not given",
            id: "key-fingerprint")
        for log in integrity.logs {
            html += row("Log", log.log)
            html += row("Segments / lines / checkpoints", "\(log.segments) / \(log.lines) / \(log.checkpoints)")
            html += row(
                "First / last sequence",
                "\(log.firstSeq.map(String.init) ?? "-") / \(log.lastSeq.map(String.init) ?? "-")",
                id: "seq-range")
            if log.unsignedTail > 0 {
                html += row("Lines after the last checkpoint (not yet signed)", String(log.unsignedTail))
            }
            if log.oversizedLines > 0 {
                html += row(
                    "Lines over the line limit (chained and signed; content not read)", String(log.oversizedLines),
                    id: "oversized-lines")
            }
        }
        html += row("First / last time", "\(integrity.firstTime ?? "-") / \(integrity.lastTime ?? "-")")
        html += row("Torn tails quarantined", String(integrity.quarantines), id: "quarantines")
        html += row("Audit outages (decisions answered AuditUnavailable)", String(integrity.outages), id: "outages")
        return html + "</table></section>\n"
    }

    private static func totals(_ totals: AuditReport.Totals) -> String {
        let cards = [
            ("total", "Decisions", totals.decisions), ("allowed", "Allowed", totals.allowed),
            ("denied", "Denied", totals.denied), ("warned", "Warned", totals.warned),
            ("error", "Errors", totals.error), ("dry-runs", "Dry runs (not admissions)", totals.dryRuns),
            ("unauthenticated", "From unauthenticated callers", totals.unauthenticated),
            ("control", "Control events", totals.control),
        ]
        return "<section class=\"cards\">"
            + cards.map { id, label, value in
                "<div class=\"card \(id)\"><span class=\"label\">\(label)</span>"
                    + "<span class=\"value\" id=\"count-\(id)\" data-count=\"\(value)\">\(value)</span></div>"
            }.joined() + "</section>\n"
    }

    private static func timeline(_ timeline: AuditReport.Timeline) -> String {
        guard !timeline.buckets.isEmpty else { return "<p class=\"empty\">No decisions in this period.</p>" }
        let width = 1000.0
        let height = 220.0
        let plot = height - 30
        let maximum = max(1, timeline.buckets.map { $0.allowed + $0.denied + $0.warned + $0.error }.max() ?? 1)
        let step = width / Double(timeline.buckets.count)
        var svg = """
            <svg id="timeline" viewBox="0 0 \(Int(width)) \(Int(height))" width="100%" role="img" \
            aria-label="Decisions per \(timeline.bucketSeconds) s" data-bucket-seconds="\(timeline.bucketSeconds)">
            <line x1="0" y1="\(plot)" x2="\(width)" y2="\(plot)" class="axis"/>
            <text x="2" y="12" class="tick">\(maximum)</text>
            """
        for (index, bucket) in timeline.buckets.enumerated() {
            var y = plot
            let x = Double(index) * step
            for (value, kind) in [
                (bucket.allowed, "allowed"), (bucket.warned, "warned"), (bucket.denied, "denied"),
                (bucket.error, "error"),
            ] where value > 0 {
                let h = plot * Double(value) / Double(maximum)
                y -= h
                svg +=
                    "<rect class=\"\(kind)\" x=\"\(f(x + step * 0.1))\" y=\"\(f(y))\" width=\"\(f(step * 0.8))\" "
                    + "height=\"\(f(h))\"><title>\(e(bucket.start)): \(value) \(kind)</title></rect>"
            }
        }
        let first = timeline.buckets.first!.start
        let last = timeline.buckets.last!.start
        svg += "<text x=\"2\" y=\"\(Int(height) - 6)\" class=\"tick\">\(e(first))</text>"
        svg +=
            "<text x=\"\(Int(width) - 2)\" y=\"\(Int(height) - 6)\" class=\"tick\" text-anchor=\"end\">\(e(last))</text>"
        svg +=
            "</svg><p class=\"legend\"><span class=\"key allowed\"></span>allowed <span class=\"key warned\"></span>"
            + "warned <span class=\"key denied\"></span>denied <span class=\"key error\"></span>error · one bar per "
            + "\(timeline.bucketSeconds / 60) min</p>"
        return svg
    }

    private static func counts(_ counts: [AuditReport.Count], id: String) -> String {
        guard !counts.isEmpty else { return "<p class=\"empty\" id=\"\(id)\">None.</p>" }
        // Bars are scaled to the largest named row; "(other)" sums many and would dwarf them.
        let top = max(1, counts.filter { $0.name != BoundedCounter.other }.map(\.count).max() ?? counts[0].count)
        var html = "<table class=\"counts\" id=\"\(id)\">"
        for count in counts {
            let share = min(100, Int((Double(count.count) / Double(top) * 100).rounded()))
            html +=
                "<tr data-name=\"\(e(count.name))\" data-count=\"\(count.count)\"><td>\(e(count.name))</td>"
                + "<td class=\"num\">\(count.count)</td><td class=\"bar\"><div style=\"width:\(share)%\"></div></td></tr>"
        }
        return html + "</table>"
    }

    private static func images(_ images: [AuditReport.ImageCount]) -> String {
        guard !images.isEmpty else { return "<p class=\"empty\" id=\"images\">No images admitted.</p>" }
        var html =
            "<table class=\"list\" id=\"images\"><tr><th>Image</th><th>Digest</th><th>Signed by</th>"
            + "<th class=\"num\">Admissions</th></tr>"
        for image in images {
            html +=
                "<tr data-reference=\"\(e(image.reference))\" data-count=\"\(image.count)\">"
                + "<td>\(e(image.reference))</td><td class=\"mono\">\(e(image.digest ?? "-"))</td>"
                + "<td>\(e(image.authority ?? "unsigned"))</td><td class=\"num\">\(image.count)</td></tr>"
        }
        return html + "</table>"
    }

    /// Artifacts mounted as volumes: which model digest ran, who signed it, when and where.
    private static func models(_ rows: [AuditReport.ModelRow]) -> String {
        guard !rows.isEmpty else {
            return "<p class=\"empty\" id=\"models\">No models or other artifacts were mounted by admitted pods.</p>"
        }
        var html =
            "<table class=\"list\" id=\"models\"><tr><th>Artifact</th><th>Digest</th><th>Signed by</th>"
            + "<th>Volumes</th><th>Classes</th><th>First admitted</th><th>Last admitted</th>"
            + "<th class=\"num\">Admissions</th></tr>"
        for row in rows {
            let signer = [row.authority, row.signer].compactMap { $0 }.joined(separator: " · ")
            html +=
                "<tr data-reference=\"\(e(row.reference))\" data-digest=\"\(e(row.digest ?? ""))\""
                + " data-count=\"\(row.count)\"><td>\(e(row.reference))</td><td class=\"mono\">\(e(row.digest ?? "-"))</td>"
                + "<td>\(e(signer.isEmpty ? "unsigned" : signer))</td><td>\(e(row.volumes.joined(separator: ", ")))</td>"
                + "<td>\(e(row.classes.joined(separator: ", ")))</td><td>\(e(row.firstAdmitted))</td>"
                + "<td>\(e(row.lastAdmitted))</td><td class=\"num\">\(row.count)</td></tr>"
        }
        return html + "</table>"
    }

    private static func controls(_ report: AuditReport) -> String {
        guard !report.controlEvents.isEmpty else { return "<p class=\"empty\" id=\"controls\">No control events.</p>" }
        var html =
            "<table class=\"list\" id=\"controls\"><tr><th>Time</th><th>Seq</th><th>Event</th><th>Details</th></tr>"
        for line in report.controlEvents {
            let event = line.event
            var details = e(event.message)
            if let sha = event.sha256 { details += "<br><span class=\"mono\">sha256 \(e(sha))</span>" }
            if let previous = event.previousSHA256 {
                details += "<br><span class=\"mono\">previous \(e(previous))</span>"
            }
            if let error = event.error { details += "<br>error: \(e(error))" }
            for authority in event.authorities ?? [] {
                details +=
                    "<br>\(e(authority.name)): <span class=\"mono\">"
                    + authority.fingerprints.map(e).joined(separator: ", ") + "</span>"
            }
            let highlight = event.event.isPolicyOrTrust ? " class=\"policy\"" : ""
            html +=
                "<tr\(highlight) data-event=\"\(e(event.event.rawValue))\"><td>\(e(line.time))</td>"
                + "<td class=\"num\">\(line.seq)</td><td>\(e(event.event.rawValue))</td><td>\(details)</td></tr>"
        }
        if report.controlEventsOmitted > 0 {
            html +=
                "<tr><td colspan=\"4\">… and \(report.controlEventsOmitted) more (see `audit query --type control`)</td></tr>"
        }
        return html + "</table>"
    }

    private static func section(_ title: String, _ body: String) -> String {
        "<section><h2>\(e(title))</h2>\(body)</section>\n"
    }

    private static func row(_ label: String, _ value: String, id: String? = nil) -> String {
        "<tr><th>\(e(label))</th><td\(id.map { " id=\"\($0)\"" } ?? "") class=\"mono\">\(e(value))</td></tr>"
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    /// Escapes text for HTML element content and double-quoted attributes.
    static func e(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    private static let style = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:24px auto;\
        max-width:1100px;padding:0 16px}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 8px}
        .meta{color:#5b6474;margin:0 0 16px}
        section{margin:0 0 18px;break-inside:avoid}
        .integrity{border:2px solid;border-radius:6px;padding:12px 16px}
        .integrity.intact{border-color:#2e7d32;background:#eef7ee}.integrity.intact h2{color:#2e7d32}
        .integrity.unsigned{border-color:#b26a00;background:#fff6e5}.integrity.unsigned h2{color:#b26a00}
        .integrity.tampered{border-color:#c62828;background:#fdecec}.integrity.tampered h2{color:#c62828;font-size:20px}
        .finding{font-weight:600;color:#c62828}
        table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:3px 8px;vertical-align:top;\
        border-bottom:1px solid #e3e6eb}th{font-weight:600;color:#3a4250}
        .facts th{width:40%}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
        .num{text-align:right;font-variant-numeric:tabular-nums;width:6em}
        .cards{display:flex;gap:10px;flex-wrap:wrap}.card{flex:1;min-width:120px;border:1px solid #d5d9e0;\
        border-radius:6px;padding:8px 12px}.card .label{display:block;color:#5b6474;font-size:12px}\
        .card .value{font-size:24px;font-weight:600}
        .card.denied .value{color:#c62828}.card.allowed .value{color:#2e7d32}.card.warned .value{color:#b26a00}
        svg .allowed{fill:#66bb6a}svg .denied{fill:#e53935}svg .warned{fill:#ffb300}svg .error{fill:#78909c}
        svg .axis{stroke:#9aa3b0}svg .tick{font-size:11px;fill:#5b6474}
        .legend{color:#5b6474;font-size:12px}.key{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
        .key.allowed{background:#66bb6a}.key.denied{background:#e53935}.key.warned{background:#ffb300}\
        .key.error{background:#78909c}
        .grid{display:grid;grid-template-columns:1fr 1fr;gap:0 24px}
        .bar{width:35%}.bar div{height:10px;background:#e57373;border-radius:2px}
        tr.policy td{background:#f3f0fb}.empty{color:#5b6474}#controls td:first-child{white-space:nowrap}
        @media print{body{margin:0;max-width:none}.grid{grid-template-columns:1fr 1fr}\
        *{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
        """
}
