import Prometheus
import Synchronization

/// A duration histogram recorded with three relaxed atomic adds and rendered in exactly the text
/// swift-prometheus's `DurationHistogram` writes for the same observations.
///
/// Why not that histogram: it takes a lock on every observation, and every admission of a class records into
/// the same one, so under load the I/O threads queue on it. Here each bucket counts only the observations
/// that fall into it (the cumulative sums are made when rendering), so an observation touches one bucket.
final class AtomicHistogram: @unchecked Sendable {
    // @unchecked Sendable: `counts` is allocated once in init, only ever accessed through its atomics, and
    // freed in deinit; everything else is immutable.

    /// The exposition's `le` values, as swift-prometheus renders its bounds.
    private let bounds: [String]
    /// The largest whole number of nanoseconds that lies within each bound (`Duration` compares exactly).
    private let limits: [Int64]
    /// One count per bucket, then one for observations above the last bound.
    private let counts: UnsafeMutablePointer<Atomic<Int>>
    private let sum = Atomic<Int64>(0)

    init(bounds: [Duration]) {
        self.bounds = bounds.map(\.bucketRepresentation)
        limits = bounds.map { bound in
            let (seconds, attoseconds) = bound.components
            return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        }
        counts = .allocate(capacity: bounds.count + 1)
        for index in 0...bounds.count { (counts + index).initialize(to: Atomic(0)) }
    }

    deinit {
        counts.deinitialize(count: limits.count + 1)
        counts.deallocate()
    }

    /// Records one observation of `nanoseconds` (not negative).
    func record(nanoseconds: Int64) {
        var bucket = 0
        while bucket < limits.count, nanoseconds > limits[bucket] { bucket += 1 }
        counts[bucket].wrappingAdd(1, ordering: .relaxed)
        // Saturating, as `Duration` arithmetic would not wrap: a sum past 292 years stays at the maximum.
        var current = sum.load(ordering: .relaxed)
        while true {
            let (next, overflow) = current.addingReportingOverflow(nanoseconds)
            let (exchanged, original) = sum.weakCompareExchange(
                expected: current, desired: overflow ? .max : next, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// The histogram's sample lines, `labels` already rendered as `name="value",…` (empty for none).
    func emit(name: String, labels: String, into buffer: inout [UInt8]) {
        let separator = labels.isEmpty ? "" : ","
        var cumulative = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += counts[index].load(ordering: .relaxed)
            buffer.append(contentsOf: "\(name)_bucket{\(labels)\(separator)le=\"\(bound)\"} \(cumulative)\n".utf8)
        }
        cumulative += counts[bounds.count].load(ordering: .relaxed)
        buffer.append(contentsOf: "\(name)_bucket{\(labels)\(separator)le=\"+Inf\"} \(cumulative)\n".utf8)
        let total = Duration.nanoseconds(sum.load(ordering: .relaxed)).bucketRepresentation
        let braced = labels.isEmpty ? " " : "{\(labels)} "
        buffer.append(contentsOf: "\(name)_sum\(braced)\(total)\n".utf8)
        buffer.append(contentsOf: "\(name)_count\(braced)\(cumulative)\n".utf8)
    }
}
