import AdmissionAPI

extension Decision {
    /// The API server passes warnings on whole while all of a response's together are at most this many bytes…
    public static let maxWarningsBytes = 4096
    /// …and beyond that cuts each to this many characters (dropping those that still do not fit).
    public static let truncatedWarningLength = 256

    /// The AdmissionResponse for this decision:
    /// - denied: HTTP 403 `Forbidden` status whose message joins every denying violation (not just the first);
    /// - `warn` violations: one warning each, single-line, within the API server's limits (``fitWarnings(_:)``);
    /// - audit annotations carry the class, the policy hash and the rule IDs, under keys that are valid
    ///   qualified names of at most 63 characters (the API server drops others).
    public func response(uid: String) -> AdmissionResponse {
        guard evaluated else { return AdmissionResponse(uid: uid, allowed: true) }
        var response = AdmissionResponse(uid: uid, allowed: allowed)
        if !allowed {
            let reasons = denials.map(\.text).joined(separator: "; ")
            let classPart = className.map { " (data class \($0))" } ?? ""
            response.status = AdmissionResponse.Status(
                code: 403, message: "portcullis denied \(subject)\(classPart): \(reasons)", reason: statusReason)
        }
        let warnings = self.warnings + (classConflict.map { [Self.warning("portcullis: \($0)")] } ?? [])
        if !warnings.isEmpty { response.warnings = Self.fitWarnings(warnings) }
        response.auditAnnotations = auditAnnotations
        return response
    }

    /// `CouldNotVerify` when an image's signatures could not be checked (retrying may help), `Unsigned` when an
    /// image lacks a valid signature, else `Forbidden`; so a client can tell "fix the image" from "try again".
    var statusReason: String {
        let rules = Set(denials.map(\.ruleID))
        if rules.contains(.signatureUnverifiable) { return "CouldNotVerify" }
        if rules.contains(.imageSignature) { return "Unsigned" }
        return "Forbidden"
    }

    /// Audit annotation keys: plain names (the API server prefixes them with the webhook's name).
    public var auditAnnotations: [String: String] {
        var annotations = ["decision": allowed ? "allow" : "deny", "policy-sha256": policySHA256]
        if let className { annotations["data-class"] = className }
        for mode in EnforcementMode.allCases {
            let rules = Set(violations.filter { $0.mode == mode }.map(\.ruleID.rawValue)).sorted()
            if !rules.isEmpty { annotations["\(mode.rawValue)-rules"] = rules.joined(separator: ",") }
        }
        if !exemptions.isEmpty {
            annotations["exempted-rules"] = Set(exemptions.map(\.ruleID.rawValue)).sorted().joined(separator: ",")
        }
        return annotations
    }

    /// One line, control characters replaced; never longer than all warnings may be together.
    public static func warning(_ text: String) -> String {
        var line = String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) ? " " : $0 }))
        while line.utf8.count > maxWarningsBytes { line = String(line.prefix(line.count / 2)) + "…" }
        return line
    }

    /// Warnings as the API server would pass them on, so none is cut where the user cannot see it: unchanged while
    /// they total at most ``maxWarningsBytes``; beyond that each cut to ``truncatedWarningLength`` characters (with
    /// an ellipsis), and those that still do not fit dropped for one that says how many were (the audit line has them).
    public static func fitWarnings(_ warnings: [String]) -> [String] {
        guard warnings.reduce(0, { $0 + $1.utf8.count }) > maxWarningsBytes else { return warnings }
        let cut = warnings.map { warning in
            warning.count > truncatedWarningLength ? String(warning.prefix(truncatedWarningLength - 1)) + "…" : warning
        }
        var fitted: [String] = []
        var total = 0
        for (index, warning) in cut.enumerated() {
            let note = "portcullis: \(cut.count - index) more warnings; see the audit log"
            let reserve = index == cut.count - 1 ? 0 : note.utf8.count
            if total + warning.utf8.count + reserve > maxWarningsBytes {
                fitted.append(note)
                break
            }
            fitted.append(warning)
            total += warning.utf8.count
        }
        return fitted
    }
}
