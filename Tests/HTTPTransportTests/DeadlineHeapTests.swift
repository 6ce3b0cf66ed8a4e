import Testing

@testable import HTTPTransport

/// The order connections time out in, whatever order their deadlines were set in.
@Suite struct DeadlineHeapTests {
    @Test func dueEntriesComeOutEarliestFirstAndLaterOnesStay() {
        var heap = DeadlineHeap()
        let deadlines: [UInt64] = [50, 10, 40, 30, 20, 60, 10, 90]
        for (index, deadline) in deadlines.enumerated() {
            heap.push(DeadlineHeap.Entry(deadline: deadline, fd: Int32(index), id: index))
        }
        var due: [UInt64] = []
        while let entry = heap.popDue(now: 50) { due.append(entry.deadline) }
        #expect(due == [10, 10, 20, 30, 40, 50])
        #expect(heap.count == 2)
        #expect(heap.earliest == 60)
        #expect(heap.popDue(now: 59) == nil, "an entry came due before its deadline")
    }
}
