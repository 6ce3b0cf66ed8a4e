extension Reconciliation {
    /// What `audit reconcile` prints: each finding, then per chain what was compared, then what could not be.
    public var report: [String] {
        var lines = findings.map(\.description)
        let span = window.map { "\($0.lowerBound) … \($0.upperBound)" } ?? "no events"
        lines.append("API server log: \(requests) request(s), \(span)")
        for chain in chains {
            lines.append(
                "chain \(chain.chain): \(chain.decisionsInWindow) decision(s) in that span, \(chain.matched) line(s) "
                    + "matched by an API server event, \(chain.anchoredEvents) anchored request(s)")
        }
        if unanchoredRequests > 0 {
            lines.append(
                "  note: \(unanchoredRequests) request(s) carry Portcullis decision annotations without an anchor "
                    + "(answered by a version before anchors, or admitted without evidence by a class that fails "
                    + "open when the audit log is down): they cannot be matched to a line")
        }
        if failedWebhookCalls > 0 {
            lines.append(
                "  note: \(failedWebhookCalls) request(s) were refused because calling a webhook failed (down, timed "
                    + "out); a decision Portcullis wrote for a call the API server had given up on has no event")
        }
        if decisionsOutsideWindow > 0 {
            lines.append("  note: \(decisionsOutsideWindow) decision(s) outside that span were not compared")
        }
        for location in oversizedEvents {
            lines.append("  note: \(location) is over the line limit and was skipped (record pods at level Metadata)")
        }
        lines.append(
            isConsistent
                ? "consistent: every decision in the span has its API server event and every anchored event its line"
                : "\(findings.count) finding(s)")
        return lines
    }
}
