import Foundation
import Testing

@testable import Webhook

/// The exposition is read back by prometheus_client's parser (scripts/parse-prometheus.py), not by
/// our own code, so a format mistake that Prometheus would reject fails here.
@Suite struct WebhookMetricsTests {
    @Test func admissionCountersMatchWhatWasRecorded() throws {
        let metrics = WebhookMetrics()
        for _ in 0..<5 {
            metrics.recordAdmission(className: "ephi", decision: .allowed, ruleIDs: [], latencySeconds: 0.0003)
        }
        for _ in 0..<3 {
            metrics.recordAdmission(
                className: "ephi", decision: .denied, ruleIDs: ["registry-origin", "digest-pin"], latencySeconds: 0.002)
        }
        // A rule listed twice for one request (two containers) is one denial of that request.
        metrics.recordAdmission(
            className: "ephi", decision: .denied, ruleIDs: ["registry-origin", "registry-origin"],
            latencySeconds: 0.004)
        metrics.recordAdmission(className: "public", decision: .warned, ruleIDs: ["digest-pin"], latencySeconds: 0.0001)
        metrics.recordAdmission(className: "public", decision: .error, ruleIDs: [], latencySeconds: 7)

        let exposition = try ParsedExposition(metrics.render())
        #expect(exposition.value("portcullis_admissions_total", ["class": "ephi", "decision": "allowed"]) == 5)
        #expect(exposition.value("portcullis_admissions_total", ["class": "ephi", "decision": "denied"]) == 4)
        #expect(exposition.value("portcullis_admissions_total", ["class": "public", "decision": "warned"]) == 1)
        #expect(exposition.value("portcullis_admissions_total", ["class": "public", "decision": "error"]) == 1)
        #expect(exposition.value("portcullis_denials_total", ["class": "ephi", "rule": "registry-origin"]) == 4)
        #expect(exposition.value("portcullis_denials_total", ["class": "ephi", "rule": "digest-pin"]) == 3)
        #expect(exposition.value("portcullis_denials_total", ["class": "public", "rule": "digest-pin"]) == nil)
        #expect(exposition.value("portcullis_warnings_total", ["class": "public", "rule": "digest-pin"]) == 1)
        #expect(exposition.families["portcullis_admissions"] == "counter")
        #expect(exposition.families["portcullis_admission_duration_seconds"] == "histogram")
    }

    @Test func latencyHistogramPutsAnswersInTheRightBuckets() throws {
        let metrics = WebhookMetrics()
        metrics.recordAdmission(className: "ephi", decision: .allowed, ruleIDs: [], latencySeconds: 0.00008)
        metrics.recordAdmission(className: "ephi", decision: .allowed, ruleIDs: [], latencySeconds: 0.0008)
        metrics.recordAdmission(className: "ephi", decision: .allowed, ruleIDs: [], latencySeconds: 3)
        // A clock step backwards must not lose the request from the count.
        metrics.recordAdmission(className: "ephi", decision: .allowed, ruleIDs: [], latencySeconds: -1)

        let exposition = try ParsedExposition(metrics.render())
        let name = "portcullis_admission_duration_seconds"
        #expect(exposition.value(name + "_count", ["class": "ephi"]) == 4)
        #expect(exposition.value(name + "_bucket", ["class": "ephi", "le": "0.0001"]) == 2)
        #expect(exposition.value(name + "_bucket", ["class": "ephi", "le": "0.001"]) == 3)
        #expect(exposition.value(name + "_bucket", ["class": "ephi", "le": "2.5"]) == 3)
        #expect(exposition.value(name + "_bucket", ["class": "ephi", "le": "10.0"]) == 4)
        #expect(exposition.value(name + "_bucket", ["class": "ephi", "le": "+Inf"]) == 4)
        let sum = try #require(exposition.value(name + "_sum", ["class": "ephi"]))
        #expect(abs(sum - 3.00088) < 1e-6)
        let bounds = exposition.labelValues(name + "_bucket", label: "le")
        #expect(bounds.count == WebhookMetrics.admissionDurationBuckets.count + 1)
    }

    @Test func certificateExpiryIsSecondsLeftAndTurnsNegativeOnceExpired() throws {
        let metrics = WebhookMetrics()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        // A short-lived certificate: one hour left.
        metrics.setCertificate(notAfter: now.addingTimeInterval(3600))
        #expect(
            try ParsedExposition(metrics.render(now: now)).value("portcullis_tls_certificate_expiry_seconds", [:])
                == 3600)

        // The same certificate, scraped later: the gauge counts down and goes negative after expiry.
        let later = now.addingTimeInterval(3600 + 90)
        #expect(
            try ParsedExposition(metrics.render(now: later)).value("portcullis_tls_certificate_expiry_seconds", [:])
                == -90)
    }

    @Test func policyInfoShowsOnlyTheHashInForce() throws {
        let metrics = WebhookMetrics()
        let first = String(repeating: "a", count: 64)
        let second = String(repeating: "b", count: 64)
        metrics.recordPolicyReload(success: true, sha256: first)
        metrics.recordPolicyReload(success: true, sha256: second)
        // An invalid policy is rejected; the server keeps `second`, and so must the gauge.
        metrics.recordPolicyReload(success: false, sha256: String(repeating: "c", count: 64))
        metrics.recordPolicyReload(success: true, sha256: second)

        let exposition = try ParsedExposition(metrics.render())
        #expect(exposition.labelValues("portcullis_policy_info", label: "sha256") == [second])
        #expect(exposition.value("portcullis_policy_info", ["sha256": second]) == 1)
        #expect(exposition.value("portcullis_policy_reloads_total", ["result": "success"]) == 3)
        #expect(exposition.value("portcullis_policy_reloads_total", ["result": "failure"]) == 1)
    }

    @Test func auditSignatureAndRegistryCounters() throws {
        let metrics = WebhookMetrics()
        metrics.recordAuditSync(seconds: 0.0002, failed: false)
        metrics.recordAuditSync(seconds: 0.3, failed: true)
        metrics.recordAuditSync(seconds: 0.004, failed: false)
        for hit in [true, true, true, false] { metrics.recordSignatureCache(hit: hit) }
        metrics.recordRegistryError(registry: "registry.internal:5000")
        metrics.recordRegistryError(registry: "registry.internal:5000")
        metrics.recordRegistryError(registry: "intake.internal")

        let exposition = try ParsedExposition(metrics.render())
        #expect(exposition.value("portcullis_audit_sync_duration_seconds_count", [:]) == 3)
        #expect(exposition.value("portcullis_audit_sync_duration_seconds_bucket", ["le": "0.00025"]) == 1)
        #expect(exposition.value("portcullis_audit_sync_failures_total", [:]) == 1)
        #expect(exposition.value("portcullis_signature_cache_requests_total", ["result": "hit"]) == 3)
        #expect(exposition.value("portcullis_signature_cache_requests_total", ["result": "miss"]) == 1)
        #expect(exposition.value("portcullis_registry_errors_total", ["registry": "registry.internal:5000"]) == 2)
        #expect(exposition.value("portcullis_registry_errors_total", ["registry": "intake.internal"]) == 1)
    }

    @Test func instancesDoNotShareSeries() throws {
        let recorded = WebhookMetrics()
        recorded.recordAdmission(className: "ephi", decision: .denied, ruleIDs: ["digest-pin"], latencySeconds: 0.001)
        let fresh = WebhookMetrics()
        #expect(try ParsedExposition(fresh.render()).samples.isEmpty)
    }

    @Test func concurrentRecordingLosesNothing() async throws {
        let metrics = WebhookMetrics()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for _ in 0..<250 {
                        metrics.recordAdmission(
                            className: "ephi", decision: task % 2 == 0 ? .allowed : .denied, ruleIDs: ["digest-pin"],
                            latencySeconds: 0.001)
                        metrics.recordPolicyReload(success: true, sha256: task % 2 == 0 ? "even" : "odd")
                    }
                }
            }
        }
        let exposition = try ParsedExposition(metrics.render())
        #expect(exposition.value("portcullis_admissions_total", ["class": "ephi", "decision": "allowed"]) == 1000)
        #expect(exposition.value("portcullis_denials_total", ["class": "ephi", "rule": "digest-pin"]) == 1000)
        #expect(exposition.value("portcullis_admission_duration_seconds_count", ["class": "ephi"]) == 2000)
        #expect(exposition.labelValues("portcullis_policy_info", label: "sha256").count == 1)
    }
}

/// Samples from one exposition, as prometheus_client's parser read them.
struct ParsedExposition {
    let families: [String: String]
    let samples: [(name: String, labels: [String: String], value: Double)]

    init(_ exposition: [UInt8]) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/parse-prometheus.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(exposition))
        try input.fileHandleForWriting.close()
        let json = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: exposition, as: UTF8.self)
            throw ExpositionParseError(message: message + "\n--- exposition ---\n" + text)
        }
        let decoded = try JSONDecoder().decode(Decoded.self, from: json)
        families = decoded.families
        samples = decoded.samples.map { ($0.name, $0.labels, $0.value) }
    }

    /// The value of the one sample with exactly these labels, or nil if there is none.
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        let matches = samples.filter { $0.name == name && $0.labels == labels }
        return matches.count == 1 ? matches[0].value : nil
    }

    func labelValues(_ name: String, label: String) -> [String] {
        samples.filter { $0.name == name }.compactMap { $0.labels[label] }
    }

    private struct Decoded: Decodable {
        let families: [String: String]
        let samples: [Sample]
    }

    /// `[name, labels, value]`, as the script prints it.
    private struct Sample: Decodable {
        let name: String
        let labels: [String: String]
        let value: Double

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            name = try container.decode(String.self)
            labels = try container.decode([String: String].self)
            value = try container.decode(Double.self)
        }
    }
}

struct ExpositionParseError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
