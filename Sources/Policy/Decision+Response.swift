import AdmissionAPI

extension Decision {
    /// The longest warning the API server passes on unchanged.
    public static let maxWarningLength = 120

    /// The AdmissionResponse for this decision:
    /// - denied: HTTP 403 `Forbidden` status whose message joins every denying violation (not just the first);
    /// - `warn` violations: one warning each, single-line and at most 120 characters, as the API server asks;
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
        if !warnings.isEmpty { response.warnings = warnings }
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

    /// One line, control characters replaced, cut to ``maxWarningLength`` characters with an ellipsis.
    public static func warning(_ text: String) -> String {
        var line = String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) ? " " : $0 }))
        if line.count > maxWarningLength {
            line = String(line.prefix(maxWarningLength - 1)) + "…"
        }
        return line
    }
}
