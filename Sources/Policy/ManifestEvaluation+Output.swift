import AdmissionAPI
import JSONText

extension ManifestEvaluation {
    /// One line per object (`verdict kind namespace/name class rules`), then each violation, warning and
    /// applied exemption indented beneath it.
    public func text() -> String {
        var lines: [String] = []
        for row in rows {
            let object = row.kind.isEmpty ? "document \(row.document)" : "\(row.kind) \(row.namespace)/\(row.name)"
            guard let decision = row.decision else {
                lines.append("ERROR  \(object): \(row.error ?? "unreadable")")
                continue
            }
            let rules = decision.ruleIDs.map(\.rawValue).joined(separator: ",")
            let className = decision.className.map { "class=\($0)" } ?? ""
            lines.append(
                [row.verdict.uppercased().padding(toLength: 5, withPad: " ", startingAt: 0), object, className, rules]
                    .filter { !$0.isEmpty }.joined(separator: "  "))
            for violation in decision.violations {
                lines.append("       \(violation.mode.rawValue): \(violation.text)")
            }
            for exemption in decision.exemptions {
                lines.append(
                    "       exempt (\(exemption.subject): \(exemption.reason)):"
                        + " [\(exemption.ruleID.rawValue)] \(exemption.message)"
                )
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The same as a JSON array, one object per row, for tools.
    public func json() -> String {
        var json = JSONWriter()
        json.beginArray()
        for row in rows {
            json.beginObject()
            json.key("document")
            json.int(row.document)
            json.member("verdict", string: row.verdict)
            json.member("kind", string: row.kind)
            json.member("namespace", string: row.namespace)
            json.member("name", string: row.name)
            if let error = row.error { json.member("error", string: error) }
            if let decision = row.decision {
                if let className = decision.className { json.member("class", string: className) }
                json.member("policySHA256", string: decision.policySHA256)
                json.key("rules")
                json.beginArray()
                for rule in decision.ruleIDs { json.string(rule.rawValue) }
                json.endArray()
                json.key("violations")
                json.beginArray()
                for violation in decision.violations {
                    json.beginObject()
                    json.member("rule", string: violation.ruleID.rawValue)
                    json.member("mode", string: violation.mode.rawValue)
                    json.member("path", string: violation.path)
                    json.member("message", string: violation.message)
                    json.endObject()
                }
                json.endArray()
                json.key("exemptions")
                json.beginArray()
                for exemption in decision.exemptions {
                    json.beginObject()
                    json.member("rule", string: exemption.ruleID.rawValue)
                    json.member("subject", string: exemption.subject)
                    json.member("reason", string: exemption.reason)
                    json.member("message", string: exemption.message)
                    json.endObject()
                }
                json.endArray()
                json.key("images")
                json.beginArray()
                for image in decision.images { json.string(image) }
                json.endArray()
                json.key("volumeImages")
                json.beginArray()
                for image in decision.volumeImages {
                    json.beginObject()
                    json.member("volume", string: image.volume)
                    json.member("reference", string: image.reference)
                    json.endObject()
                }
                json.endArray()
            }
            json.endObject()
        }
        json.endArray()
        return String(decoding: json.bytes, as: UTF8.self) + "\n"
    }
}
