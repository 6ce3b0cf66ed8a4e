import Foundation
import Prometheus
import Testing

@testable import Webhook

/// The admission and audit-sync histograms moved out of swift-prometheus (whose histogram locks per observation):
/// a dashboard must not be able to tell, so the exposition has to be the bytes swift-prometheus writes.
@Suite struct AtomicHistogramTests {
    static let bounds = WebhookMetrics.admissionDurationBuckets.map(Duration.seconds)

    /// Observations in nanoseconds: on a bound, a nanosecond either side, zero, beyond the last bound, the
    /// largest there is (sums stay exact up to 2^63 ns, 292 years; beyond, ours stays at the maximum).
    static let observations: [[Int64]] = [
        [],
        [0],
        [100_000, 99_999, 100_001],
        [80_000, 800_000, 3_000_000_000, 0],
        [10_000_000_000, 10_000_000_001, 123_456_789_012],
        [.max],
    ]

    static let labelSets: [[(String, String)]] = [[], [("class", "ephi")], [("class", #"a"b\c"#)]]

    @Test(arguments: observations)
    func rendersTheBytesSwiftPrometheusRenders(nanoseconds: [Int64]) {
        for labels in Self.labelSets {
            let registry = PrometheusCollectorRegistry()
            let reference = registry.makeDurationHistogram(name: "h", labels: labels, buckets: Self.bounds)
            let histogram = AtomicHistogram(bounds: Self.bounds)
            for value in nanoseconds {
                reference.recordNanoseconds(value)
                histogram.record(nanoseconds: value)
            }
            var ours = Array("# TYPE h histogram\n".utf8)
            let rendered = labels.map {
                #"\#($0.0)="\#($0.1.replacing("\\", with: #"\\"#).replacing("\"", with: #"\""#))""#
            }
            histogram.emit(name: "h", labels: rendered.joined(separator: ","), into: &ours)
            #expect(
                String(decoding: ours, as: UTF8.self) == String(decoding: registry.emitToBuffer(), as: UTF8.self),
                "labels \(labels)")
        }
    }

    /// The admission histogram as `/metrics` shows it, against swift-prometheus given the same answers.
    @Test func admissionDurationsRenderAsSwiftPrometheusRendersThem() {
        let metrics = WebhookMetrics()
        let registry = PrometheusCollectorRegistry()
        let reference = registry.makeDurationHistogram(
            name: "portcullis_admission_duration_seconds", labels: [("class", "ephi")], buckets: Self.bounds)
        for seconds in [0.00008, 0.0001, 0.0008, 3, -1, 42] {
            metrics.recordAdmission(className: "ephi", decision: .allowed, ruleIDs: [], latencySeconds: seconds)
            reference.recordNanoseconds(seconds > 0 ? Int64(seconds * 1e9) : 0)
        }
        let exposition = String(decoding: metrics.render(), as: UTF8.self)
        #expect(exposition.contains(String(decoding: registry.emitToBuffer(), as: UTF8.self)), "\(exposition)")
    }

    @Test func concurrentFirstUseMakesEachEntryOnce() async {
        let table = ReadMostlyTable<Int, Int>()
        let made = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for key in 0..<200 {
                        let value = table.value(for: key) { key in
                            made.add()
                            return key * 2
                        }
                        precondition(value == key * 2)
                    }
                }
            }
        }
        #expect(made.value == 200)
        #expect(table.entries.count == 200)
        #expect(table.entries[199] == 398)
    }

    private final class Counter: @unchecked Sendable {
        // @unchecked Sendable: `count` is only touched under `lock`.
        private let lock = NSLock()
        private var count = 0
        func add() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }
}
