import Foundation
import Metrics
import Policy
import Prometheus
import Synchronization

/// The numbers a platform team puts on its dashboard and alerts on: admissions and denials by
/// class and rule, answer latency, policy reloads and the active policy hash, certificate
/// expiry, audit durability and signature verification health.
///
/// Recording goes through swift-metrics with an explicit factory, and each instance owns its
/// own Prometheus registry instead of bootstrapping the process-wide `MetricsSystem`: a process
/// (or a test) can hold several independent instances, and `render()` shows only this one's.
/// Label values are bounded by configuration (class names, rule IDs, registry hosts), never by
/// request content, so the number of series stays small.
public final class WebhookMetrics: @unchecked Sendable {
    // @unchecked Sendable: the registry, the swift-metrics handles, the histograms and the read-mostly tables are
    // thread-safe; the other pieces of mutable state, the active policy-info gauge and the certificate's expiry,
    // are guarded by `stateLock`.

    /// How an admission request ended, as counted in `portcullis_admissions_total`.
    public enum Decision: String, Sendable, CaseIterable {
        /// Allowed with nothing to report (including `audit` mode, which only records).
        case allowed
        /// Allowed with warnings (`warn` mode): what `enforce` would have denied.
        case warned
        /// Denied by the policy.
        case denied
        /// No decision could be made (bad request, audit log unavailable, internal error).
        case error
    }

    /// Bucket bounds in seconds: most answers take well under a millisecond, signature
    /// verification against a registry takes tens to hundreds, and the API server gives up at
    /// `timeoutSeconds` (10 s), so the buckets span 100 µs to 10 s.
    public static let admissionDurationBuckets: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
    /// An `fdatasync` takes from tens of microseconds (NVMe) to a few hundred milliseconds
    /// (a saturated network disk); slower than that is an incident.
    public static let auditSyncDurationBuckets: [Double] = [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    ]

    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let stateLock = NSLock()
    private var activePolicy: (sha256: String, gauge: Metrics.Gauge)?
    private var certificateNotAfter: Date?

    public init() {
        factory = PrometheusMetricsFactory(registry: registry)
    }

    /// Records one answered admission request.
    ///
    /// - Parameters:
    ///   - ruleIDs: the rules that fired; each is counted in `portcullis_denials_total` when the
    ///     request was denied and in `portcullis_warnings_total` when it was only warned, so the
    ///     warn-mode series shows what switching the class to `enforce` would deny.
    ///   - latencySeconds: from the request's arrival to the response; negative or non-finite
    ///     values (a clock step) are recorded as zero rather than dropped, so counts stay exact.
    public func recordAdmission(
        className: String, decision: Decision, ruleIDs: [String], latencySeconds: Double
    ) {
        let series = classSeries.value(for: className, make: makeSeries)
        series.admissions[decision]?.increment()
        let perRule: ReadMostlyTable<String, Metrics.Counter>? =
            switch decision {
            case .denied: series.denials
            case .warned: series.warnings
            case .allowed, .error: nil
            }
        if let perRule {
            let label = decision == .denied ? "portcullis_denials_total" : "portcullis_warnings_total"
            for ruleID in Set(ruleIDs) {
                perRule.value(for: ruleID) { rule in
                    Metrics.Counter(label: label, dimensions: [("class", className), ("rule", rule)], factory: factory)
                }
                .increment()
            }
        }
        series.duration.record(nanoseconds: Self.nanoseconds(latencySeconds))
    }

    /// The series every admission of one class touches, made once per class and then only read: a registry
    /// lookup (labels joined into a key, the registry's lock) per series per request cost more than the counting,
    /// and a lock around a cache of them was still one lock every admission on every thread took.
    private final class ClassSeries: Sendable {
        let admissions: [Decision: Metrics.Counter]
        let duration: AtomicHistogram
        /// Made on a rule's first denial (or warning) in the class, so only rules that fired are exported
        /// unless ``prepare(classes:rules:registries:)`` created them at zero.
        let denials = ReadMostlyTable<String, Metrics.Counter>()
        let warnings = ReadMostlyTable<String, Metrics.Counter>()

        init(admissions: [Decision: Metrics.Counter], duration: AtomicHistogram) {
            self.admissions = admissions
            self.duration = duration
        }
    }

    /// Class names come from the policy (and "" for requests no class matched), so this stays small.
    private let classSeries = ReadMostlyTable<String, ClassSeries>()

    private func makeSeries(_ className: String) -> ClassSeries {
        ClassSeries(
            admissions: Dictionary(
                uniqueKeysWithValues: Decision.allCases.map { decision in
                    (
                        decision,
                        Metrics.Counter(
                            label: "portcullis_admissions_total",
                            dimensions: [("class", className), ("decision", decision.rawValue)], factory: factory)
                    )
                }),
            duration: histogram(Self.admissionDuration, [("class", className)]))
    }

    /// Records a policy load or reload (the first load counts too). On success the
    /// `portcullis_policy_info{sha256}` series moves to the new hash, so exactly one series —
    /// the policy in force — is 1; a failed reload leaves the previous policy (and its series)
    /// in force, as the server does.
    public func recordPolicyReload(success: Bool, sha256: String) {
        increment("portcullis_policy_reloads_total", [("result", success ? "success" : "failure")])
        guard success else { return }
        stateLock.withLock {
            guard activePolicy?.sha256 != sha256 else { return }
            activePolicy?.gauge.destroy()
            let gauge = Metrics.Gauge(
                label: "portcullis_policy_info", dimensions: [("sha256", sha256)], factory: factory)
            gauge.record(1)
            activePolicy = (sha256, gauge)
        }
    }

    /// Remembers the serving certificate's end of validity. `portcullis_tls_certificate_expiry_seconds`
    /// is computed from it at each scrape, so the gauge counts down between reloads and goes
    /// negative once the certificate has expired, keeping a "< 21 days" alert firing.
    public func setCertificate(notAfter: Date) {
        stateLock.withLock { certificateNotAfter = notAfter }
    }

    /// Records one audit-log sync (`fdatasync` of a group commit): its duration, and whether it
    /// failed — a failed sync means decisions are being denied with `AuditUnavailable`.
    public func recordAuditSync(seconds: Double, failed: Bool) {
        histogram(Self.auditSyncDuration, []).record(nanoseconds: Self.nanoseconds(seconds))
        if failed {
            increment("portcullis_audit_sync_failures_total", [])
        }
    }

    /// Records a lookup in the signature verification cache.
    public func recordSignatureCache(hit: Bool) {
        increment("portcullis_signature_cache_requests_total", [("result", hit ? "hit" : "miss")])
    }

    /// Records a failed exchange with a registry (unreachable, timeout, 429/5xx, malformed reply).
    /// `registry` is the registry host from the policy, never a path or a tag.
    public func recordRegistryError(registry: String) {
        increment("portcullis_registry_errors_total", [("registry", registry)])
    }

    /// Creates every documented series the policy in force can produce, at zero: an `increase()` alert on a
    /// counter that does not exist yet misses its first event, and a dashboard cannot tell "no denials" from
    /// "not exported". Called at start and after every reload (classes and registries may change); label
    /// values come from the policy, never from requests, so the series stay bounded.
    /// - Parameters:
    ///   - rules: every rule ID a decision can name.
    ///   - registries: the registry hosts signature verification may contact.
    public func prepare(classes: [String], rules: [String], registries: [String]) {
        for className in classes {
            for decision in Decision.allCases {
                zero("portcullis_admissions_total", [("class", className), ("decision", decision.rawValue)])
            }
            for rule in rules {
                zero("portcullis_denials_total", [("class", className), ("rule", rule)])
                zero("portcullis_warnings_total", [("class", className), ("rule", rule)])
            }
            _ = classSeries.value(for: className, make: makeSeries)
        }
        for result in ["success", "failure"] { zero("portcullis_policy_reloads_total", [("result", result)]) }
        for result in ["hit", "miss"] { zero("portcullis_signature_cache_requests_total", [("result", result)]) }
        for registry in registries { zero("portcullis_registry_errors_total", [("registry", registry)]) }
        zero("portcullis_audit_sync_failures_total", [])
        _ = histogram(Self.auditSyncDuration, [])
        zero("portcullis_accept_errors_total", [])
    }

    /// Records a failed accept(2): the server ran out of descriptors or memory and paused new connections.
    public func recordAcceptError() {
        increment("portcullis_accept_errors_total", [])
    }

    /// The Prometheus text exposition (format 0.0.4) for `GET /metrics`, as of `now`.
    public func render(now: Date = Date()) -> [UInt8] {
        if let notAfter = stateLock.withLock({ certificateNotAfter }) {
            Metrics.Gauge(label: "portcullis_tls_certificate_expiry_seconds", factory: factory)
                .record(notAfter.timeIntervalSince(now))
        }
        var exposition = registry.emitToBuffer()
        let series = histograms.entries.sorted { $0.key.labels < $1.key.labels }
        for family in [Self.admissionDuration, Self.auditSyncDuration] {
            let members = series.filter { $0.key.name == family }
            guard !members.isEmpty else { continue }
            exposition.append(contentsOf: "# TYPE \(family) histogram\n".utf8)
            for (key, histogram) in members { histogram.emit(name: family, labels: key.labels, into: &exposition) }
        }
        return exposition
    }

    /// The media type to send with `render()`'s bytes.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Registers a counter without counting anything: it is exported at 0 from now on.
    private func zero(_ label: String, _ dimensions: [(String, String)]) {
        _ = Metrics.Counter(label: label, dimensions: dimensions, factory: factory)
    }

    private func increment(_ label: String, _ dimensions: [(String, String)]) {
        let series = CounterSeries(label: label, dimensions: dimensions.flatMap { [$0.0, $0.1] })
        counters.value(for: series) { _ in Metrics.Counter(label: label, dimensions: dimensions, factory: factory) }
            .increment()
    }

    /// A counter series by its name and its labels, flattened (name, value, name, value…).
    private struct CounterSeries: Hashable, Sendable {
        let label: String
        let dimensions: [String]
    }

    /// Counters outside the per-class series (signature cache, registry errors, reloads), made on first use.
    private let counters = ReadMostlyTable<CounterSeries, Metrics.Counter>()

    private static let admissionDuration = "portcullis_admission_duration_seconds"
    private static let auditSyncDuration = "portcullis_audit_sync_duration_seconds"

    /// A histogram series by its family and its labels as the exposition writes them (`class="ephi"`).
    private struct HistogramSeries: Hashable, Sendable {
        let name: String
        let labels: String
    }

    /// The histograms are kept here rather than in the registry (whose histogram locks per observation) and
    /// rendered after its families by ``render(now:)``.
    private let histograms = ReadMostlyTable<HistogramSeries, AtomicHistogram>()

    private func histogram(_ name: String, _ labels: [(String, String)]) -> AtomicHistogram {
        let rendered = labels.map { "\($0.0)=\"\(Self.escapedLabelValue($0.1))\"" }.joined(separator: ",")
        return histograms.value(for: HistogramSeries(name: name, labels: rendered)) { _ in
            let bounds = name == Self.admissionDuration ? Self.admissionDurationBuckets : Self.auditSyncDurationBuckets
            return AtomicHistogram(bounds: bounds.map(Duration.seconds))
        }
    }

    /// A label value as the text exposition format escapes it (backslash, double quote, line feed).
    private static func escapedLabelValue(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x5C || $0 == 0x22 || $0 == 0x0A }) else { return value }
        var escaped = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// Negative or non-finite durations (a clock step) count as zero, so the count stays exact.
    private static func nanoseconds(_ seconds: Double) -> Int64 {
        if !seconds.isFinite || seconds <= 0 {
            0
        } else if seconds >= Double(Int64.max) / 1e9 {
            .max
        } else {
            Int64(seconds * 1e9)
        }
    }
}

extension WebhookMetrics {
    /// ``prepare(classes:rules:registries:)`` for what `document` can produce: its classes, every rule, and the
    /// registry hosts of classes that verify signatures.
    public func prepare(for document: PolicyDocument) {
        let verified = document.classes.values.filter(\.requireSignatures).flatMap(\.registries)
        let hosts = Set(verified.map { String($0.prefix { $0 != "/" }) }).union(document.signatures.registries.keys)
        prepare(classes: document.classNames, rules: RuleID.allCases.map(\.rawValue), registries: hosts.sorted())
    }
}
