import AdmissionAPI
import Audit
import Testing

@testable import Webhook

/// What the API server is told when the audit line cannot be written.
@Suite struct AuditUnavailableTests {
    static let allowed = AdmissionResponse(uid: "u-1", allowed: true)
    static let disk = AuditError("fdatasync: No space left on device")

    @Test func regulatedClassIsDeniedWithAuditUnavailable() {
        let response = AdmissionEndpoint.auditUnavailable(Self.allowed, error: Self.disk, failOpen: false)
        #expect(response.uid == "u-1")
        #expect(response.allowed == false)
        #expect(response.status?.reason == "AuditUnavailable")
        #expect(response.status?.code == 503)
        #expect(response.status?.message.contains("No space left on device") == true)
    }

    @Test func failOpenClassIsAllowedWithAWarning() {
        let response = AdmissionEndpoint.auditUnavailable(Self.allowed, error: Self.disk, failOpen: true)
        #expect(response.allowed == true)
        #expect(response.status == nil)
        #expect(response.warnings?.contains { $0.contains("audit log unavailable") } == true)
    }

    @Test func aDenialStaysADenialEvenWhenFailingOpen() {
        let denied = AdmissionResponse(
            uid: "u-2", allowed: false, status: .init(code: 403, message: "registry-origin", reason: "Forbidden"))
        let response = AdmissionEndpoint.auditUnavailable(denied, error: Self.disk, failOpen: true)
        #expect(response.allowed == false)
    }
}
