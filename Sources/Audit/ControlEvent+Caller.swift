import Foundation

extension ControlEvent.Kind {
    public static let unauthenticatedRefused = ControlEvent.Kind(rawValue: "unauthenticatedRefused")
}

extension ControlEvent {
    /// Admission requests refused because the caller presented no client certificate (`serve
    /// --unauthenticated-admissions refuse`): never decisions, but evidence that someone other than the API server
    /// tried. One line stands for `count` refusals since `since`, so a flood of them cannot fill the audit volume.
    public static func unauthenticatedRefused(count: Int, since date: Date, lastPeer: String) -> ControlEvent {
        let since = RFC3339.format(date)
        var event = ControlEvent(
            .unauthenticatedRefused,
            message: "refused \(count) admission request(s) without a client certificate since \(since), "
                + "the last from \(lastPeer); they were answered 401 and not decided")
        event.refused = UInt64(count)
        event.since = since
        event.peer = lastPeer
        return event
    }
}
