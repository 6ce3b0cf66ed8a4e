import AdmissionAPI
import Audit

extension AdmissionResponse {
    /// Adds the durable line's anchor (chain, seq, line hash, signed root) to the audit annotations, so the API
    /// server's audit event, kept off the node, names the line that answered it (`audit reconcile` reads it).
    /// Set for every decision with a line, evaluated or not, so every line has an event to match.
    mutating func anchor(to anchor: AuditAnchor) {
        auditAnnotations = (auditAnnotations ?? [:]).merging(anchor.annotations) { _, anchored in anchored }
    }
}
