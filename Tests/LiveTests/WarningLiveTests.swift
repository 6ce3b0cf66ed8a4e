import Foundation
import Testing

/// Warn-mode findings through the real server: whole, remediation included, as the API server passes them on.
@Suite("portcullis serve: warnings", .timeLimit(.minutes(1)))
struct WarningLiveTests {
    @Test("a warn-mode class's warnings keep their remediation")
    func wholeWarnings() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let review = ReviewEnvelope.review(
            uid: "w-1", kind: "Pod", namespace: "finance-forecasting", name: "fc",
            object: #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"fc","namespace":"finance-forecasting"},"#
                + #""spec":{"containers":[{"name":"c","image":"registry.internal/finance/forecast:1"}]}}"#)
        let (status, json) = try AdmissionLiveTests.post(
            server, certs, path: "/validate/financial-reporting", body: review)
        #expect(status == 200)
        let response = try #require(json["response"] as? [String: Any])
        #expect(response["allowed"] as? Bool == true)
        let warnings = try #require(response["warnings"] as? [String])
        let residency = try #require(warnings.first { $0.hasPrefix("[zone-residency]") }, "\(warnings)")
        #expect(residency.count > 120)
        #expect(residency.hasSuffix("topology.kubernetes.io/region In [us-east1]"), "\(residency)")
    }
}
