import AdmissionAPI
import Audit
import Policy

extension AuditRecord {
    /// The audit line for one decision: who asked, about what, what the policy said and why.
    /// Only identities and verdicts are copied; the object itself never is.
    init(request: AdmissionRequest, decision: Policy.Decision, latencyMicros: UInt64) {
        let metadata = request.object?.metadata
        self.init(
            uid: request.uid, operation: request.operation,
            kind: Kind(group: request.kind.group, version: request.kind.version, kind: request.kind.kind),
            resource: request.resource.resource,
            subResource: request.subResource.isEmpty ? nil : request.subResource,
            namespace: request.namespace.isEmpty ? nil : request.namespace,
            name: request.name.isEmpty ? (metadata?.name).flatMap { $0.isEmpty ? nil : $0 } : request.name,
            generateName: (metadata?.generateName).flatMap { $0.isEmpty ? nil : $0 },
            user: request.userInfo.username, groups: request.userInfo.groups, dataClass: decision.className,
            decision: Decision(decision), mode: decision.classMode?.rawValue ?? "none",
            rules: decision.violations.map { Rule(id: $0.ruleID.rawValue, message: $0.message) },
            exemptions: decision.exemptions.map { Exemption(rule: $0.ruleID.rawValue, reason: $0.reason) },
            images: decision.images.map { Image(reference: $0, digest: Self.digest(in: $0)) }
                + decision.volumeImages.map {
                    Image(reference: $0.reference, digest: Self.digest(in: $0.reference), volume: $0.volume)
                },
            policySHA256: decision.policySHA256, dryRun: request.dryRun, latencyMicros: latencyMicros,
            reason: Self.reason(decision))
        if !decision.storageClasses.isEmpty { storageClasses = decision.storageClasses }
        if !decision.volumeTypes.isEmpty { volumeTypes = decision.volumeTypes }
    }

    /// Why the decision is what it is, beyond its rules: a class conflict, what an UPDATE was judged on.
    static func reason(_ decision: Policy.Decision) -> String? {
        let parts = [decision.classConflict.map { "ClassConflict: \($0)" }, decision.updateReason].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// The attestations a decision rested on, as the audit line records them; nil (no member) when there are none.
    static func attestations(_ decided: [SignatureEvidence.Attestation]) -> [Attestation]? {
        decided.isEmpty
            ? nil
            : decided.map {
                Attestation(
                    predicateType: $0.predicateType, digest: $0.bundleDigest, builderID: $0.builderID,
                    sourceRepository: $0.sourceRepository, sourceRef: $0.sourceRef, maxSeverity: $0.maxSeverity,
                    scanFinishedOn: $0.scanFinishedOn)
            }
    }

    /// The `sha256:…` a reference pins, if it pins one.
    static func digest(in reference: String) -> String? {
        reference.firstIndex(of: "@").map { String(reference[reference.index(after: $0)...]) }
    }
}

extension AuditRecord.Decision {
    /// `denied` when an enforce-mode violation stands, `warned` when only warn-mode ones do.
    init(_ decision: Policy.Decision) {
        if !decision.allowed {
            self = .denied
        } else if decision.violations.contains(where: { $0.mode == .warn }) {
            self = .warned
        } else {
            self = .allowed
        }
    }
}

extension WebhookMetrics.Decision {
    init(_ decision: AuditRecord.Decision) {
        switch decision {
        case .allowed: self = .allowed
        case .warned: self = .warned
        case .denied: self = .denied
        case .error: self = .error
        }
    }
}
