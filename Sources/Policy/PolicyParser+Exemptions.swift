import AdmissionAPI
import Foundation
import Yams

extension PolicyParser {
    /// The keys that say what an exemption covers; at least one is required, and all that are set must match.
    static let exemptionMatchers = [
        "namespace", "image", "podServiceAccount", "requesterServiceAccount", "user", "group", "labelSelector",
    ]

    /// One `exemptions` entry: its matchers, a reason, and optionally rules, classes and an expiry. An entry that
    /// would match every request (no matcher, an empty selector, a selector every unlabelled object meets) is refused:
    /// a class-wide exception is written as the class's mode, where reviewers look for it.
    func parseExemption(_ node: Node, index: Int, classes: [String: DataClass]) -> Exemption? {
        let context = "exemptions[\(index)]"
        let allowed = Self.exemptionMatchers + ["reason", "rules", "classes", "expires"]
        guard let fields = fields(of: node, named: context, allowed: allowed) else { return nil }
        var subjects: [Exemption.Subject] = []
        var valid = true
        for key in Self.exemptionMatchers {
            guard let value = fields[key] else { continue }
            if let subject = parseExemptionSubject(key, value, context: context) {
                subjects.append(subject)
            } else {
                valid = false
            }
        }
        if fields.keys.allSatisfy({ !Self.exemptionMatchers.contains($0) }) {
            report(
                "\(context) matches nothing in particular; set at least one of "
                    + Self.exemptionMatchers.joined(separator: ", ")
                    + " (to relax a whole class, set its mode or rules instead)",
                at: node)
            valid = false
        } else if valid,
            subjects.allSatisfy({ if case .labels(let selector) = $0 { !selector.needsLabel } else { false } })
        {
            report(
                "\(context) labelSelector has only NotIn and DoesNotExist requirements, which every unlabelled object"
                    + " meets; add a matchLabels entry or an In or Exists requirement, or another matcher",
                at: fields["labelSelector"])
            valid = false
        }
        var reason = ""
        if let reasonNode = require("reason", in: fields, of: node, named: context),
            let text = string(reasonNode, "\(context) reason")
        {
            reason = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if reason.isEmpty { report("\(context): reason is empty; every exemption must say why", at: reasonNode) }
        }
        var rules: [RuleID] = []
        if let rulesNode = fields["rules"], let names = strings(rulesNode, "\(context) rules") {
            for name in names {
                if let rule = RuleID(rawValue: name) {
                    rules.append(rule)
                } else {
                    report("\(context): unknown rule \"\(name)\"", at: rulesNode)
                }
            }
        }
        var classNames: [String] = []
        if let classesNode = fields["classes"], let names = strings(classesNode, "\(context) classes") {
            for name in names where classes[name] == nil && !classes.isEmpty {
                report("\(context): class \"\(name)\" is not defined", at: classesNode)
            }
            classNames = names
        }
        var expires: Date?
        if let expiresNode = fields["expires"] {
            if let date = expiresNode.timestamp {
                expires = date
                if let now, date <= now {
                    suggest(
                        "\(context) expired on \(ISO8601DateFormatter().string(from: date)) and no longer applies;"
                            + " remove it, or renew it with a new expiry and reason", at: expiresNode)
                }
            } else {
                report(
                    "\(context): expires must be a date or timestamp (2026-06-30 or 2026-06-30T00:00:00Z)",
                    at: expiresNode)
            }
        }
        guard valid, !reason.isEmpty else { return nil }
        return Exemption(subjects: subjects, reason: reason, rules: rules, classes: classNames, expires: expires)
    }

    private func parseExemptionSubject(_ key: String, _ node: Node, context: String) -> Exemption.Subject? {
        if key == "labelSelector" {
            return parseLabelSelector(node, context: "\(context) labelSelector").map { .labels($0) }
        }
        guard let text = string(node, "\(context) \(key)") else { return nil }
        guard !text.isEmpty else {
            report("\(context) \(key) is empty", at: node)
            return nil
        }
        switch key {
        case "namespace": return .namespace(text)
        case "image": return parseExemptionImage(text, node, context: context).map { .image($0) }
        case "podServiceAccount", "requesterServiceAccount":
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !text.contains(":") else {
                report(
                    "\(context) \(key) \"\(text)\" must be namespace/name, e.g. gpu-monitoring/dcgm-exporter", at: node)
                return nil
            }
            let account = ServiceAccountName(namespace: String(parts[0]), name: String(parts[1]))
            return key == "podServiceAccount" ? .podServiceAccount(account) : .requesterServiceAccount(account)
        case "user": return .user(text)
        default: return .group(text)
        }
    }

    private func parseExemptionImage(_ image: String, _ node: Node, context: String) -> String? {
        do {
            let reference = try ImageReference.parse(image)
            guard reference.tag == nil, reference.digest == nil, reference.repository == image else {
                report(
                    "\(context): image must be a full repository without tag or digest, e.g. \"\(reference.repository)\"",
                    at: node)
                return nil
            }
            return image
        } catch {
            report("\(context): image \"\(image)\": \(error.reason)", at: node)
            return nil
        }
    }

    /// `{matchLabels: {k: v}, matchExpressions: [{key, operator, values}]}`, validated as the API server validates
    /// selectors: `In` and `NotIn` need values, `Exists` and `DoesNotExist` take none. An empty selector is refused.
    private func parseLabelSelector(_ node: Node, context: String) -> LabelSelector? {
        guard let fields = fields(of: node, named: context, allowed: ["matchLabels", "matchExpressions"]) else {
            return nil
        }
        var selector = LabelSelector()
        var valid = true
        if let labelsNode = fields["matchLabels"], let entries = pairs(of: labelsNode, named: "\(context) matchLabels")
        {
            for (key, keyNode, value) in entries {
                guard let text = string(value, "\(context) matchLabels.\(key)"), !key.isEmpty else {
                    if key.isEmpty { report("\(context) matchLabels: a label key may not be empty", at: keyNode) }
                    valid = false
                    continue
                }
                selector.matchLabels[key] = text
            }
        }
        if let expressionsNode = fields["matchExpressions"],
            let items = sequence(expressionsNode, "\(context) matchExpressions")
        {
            for (offset, item) in items.enumerated() {
                if let requirement = parseRequirement(item, context: "\(context) matchExpressions[\(offset)]") {
                    selector.matchExpressions.append(requirement)
                } else {
                    valid = false
                }
            }
        }
        if valid && selector.matchLabels.isEmpty && selector.matchExpressions.isEmpty {
            report("\(context) is empty and would match every object; give matchLabels or matchExpressions", at: node)
            return nil
        }
        return valid ? selector : nil
    }

    private func parseRequirement(_ node: Node, context: String) -> LabelSelector.Requirement? {
        guard let fields = fields(of: node, named: context, allowed: ["key", "operator", "values"]),
            let keyNode = require("key", in: fields, of: node, named: context),
            let key = string(keyNode, "\(context) key"),
            let opNode = require("operator", in: fields, of: node, named: context),
            let opText = string(opNode, "\(context) operator")
        else { return nil }
        let operators = LabelSelector.Requirement.Operator.allCases.map(\.rawValue)
        guard !key.isEmpty else {
            report("\(context): key may not be empty", at: keyNode)
            return nil
        }
        guard let op = LabelSelector.Requirement.Operator(rawValue: opText) else {
            report(
                "\(context): operator \"\(opText)\" is not one of \(operators.joined(separator: ", ")) (case matters)",
                at: opNode)
            return nil
        }
        let values = fields["values"].flatMap { strings($0, "\(context) values") } ?? []
        let needsValues = op == .in || op == .notIn
        guard needsValues == !values.isEmpty else {
            report(
                needsValues
                    ? "\(context): operator \(opText) needs a non-empty values list"
                    : "\(context): operator \(opText) takes no values", at: fields["values"] ?? opNode)
            return nil
        }
        return LabelSelector.Requirement(key: key, op: op, values: values)
    }
}
