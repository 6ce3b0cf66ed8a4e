import AdmissionAPI
import Foundation

/// When the webhook path and the policy disagree on a namespace's class.
///
/// The rendered webhook configuration routes a mapped namespace to its mapped class, so a disagreement means
/// the configuration is older than the policy (a mapping added, a namespace moved) or was edited by hand. Neither
/// may weaken a check: the request is decided in both classes and the stricter verdict stands — a denial over an
/// allowance, a warning over a clean pass; when both agree, the policy's mapping decides, since the policy is the
/// newer word. The decision says so, for the audit line and the user.
extension PolicyEngine {
    /// The path's class and the mapped class, when both are defined and differ.
    func classConflict(classFromPath: String?, namespace: String) -> (path: String, mapped: String)? {
        guard let path = classFromPath, let mapped = policy.namespaceClasses[namespace], mapped != path,
            policy.classes[path] != nil, policy.classes[mapped] != nil
        else { return nil }
        return (path, mapped)
    }

    func evaluateStricter(
        _ request: AdmissionRequest, conflict: (path: String, mapped: String), now: Date,
        verifySignatures: SignatureVerifier?
    ) -> Decision {
        let byMap = evaluate(request, in: conflict.mapped, now: now, verifySignatures: verifySignatures)
        let byPath = evaluate(request, in: conflict.path, now: now, verifySignatures: verifySignatures)
        var decision = Self.severity(byPath) > Self.severity(byMap) ? byPath : byMap
        decision.classConflict =
            "the webhook path names class \(conflict.path.quotedForMessage) but namespaceClasses maps namespace "
            + "\(request.namespace.quotedForMessage) to \(conflict.mapped.quotedForMessage); decided in the stricter "
            + "\(decision.className?.quotedForMessage ?? "class"); regenerate the webhook configuration "
            + "(portcullis manifests)"
        return decision
    }

    /// 2 denied, 1 warned, 0 allowed without findings.
    private static func severity(_ decision: Decision) -> Int {
        if !decision.allowed { return 2 }
        return decision.violations.isEmpty ? 0 : 1
    }
}
