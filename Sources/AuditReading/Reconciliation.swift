/// What `portcullis audit reconcile` found when it compared the Portcullis log with the API server's.
public struct Reconciliation: Sendable, Equatable {
    /// One disagreement between the two logs, with where to look in each.
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        public enum Cause: String, Sendable, Equatable {
            /// A decision line, inside the API server log's time span, that no API server event anchors: a
            /// line forged on the node, a caller that is not the API server, or a call the API server gave up on.
            case noAPIServerEvent
            /// An API server event anchors a line the log does not hold: deleted, rolled back, or cut.
            case missing
            /// The log holds a different line at the anchored seq, or a different checkpoint after it: edited,
            /// or rolled back and rewritten (a fork).
            case differs
            /// An API server event's anchor annotations cannot be read.
            case unreadableAnchor
            /// A pod was created in a namespace the policy regulates and no Portcullis annotation is on its
            /// event: the webhook was not called, or failed open.
            case bypassed
        }

        public var cause: Cause
        public var chain: String?
        public var seq: UInt64?
        /// `file:line` in the Portcullis log or in the API server log, whichever holds the evidence.
        public var location: String
        public var message: String

        public var description: String {
            let at = [chain.map { "chain \($0)" }, seq.map { "seq \($0)" }].compactMap { $0 }.joined(separator: " ")
            return "\(cause.rawValue): \(location)\(at.isEmpty ? "" : " (\(at))"): \(message)"
        }
    }

    /// Per chain: what could be compared and how much of it matched.
    public struct Chain: Sendable, Equatable {
        public var chain: String
        /// Decision lines written inside the API server log's time span.
        public var decisionsInWindow = 0
        /// Decision lines matched, byte for byte, by an API server event's anchor.
        public var matched = 0
        /// API server requests whose events anchor a line of this chain.
        public var anchoredEvents = 0
    }

    public var findings: [Finding] = []
    public var chains: [Chain] = []
    /// The API server log's time span, first request received to last stage written, as RFC 3339 UTC text with
    /// microseconds (the form both logs write, so it compares as text).
    public var window: ClosedRange<String>?
    /// Distinct requests (audit IDs) in the API server log.
    public var requests = 0
    /// Requests whose events carry Portcullis's decision annotations but no anchor: answered by a version before
    /// anchors, or admitted without evidence by a class that fails open when the audit log is down.
    public var unanchoredRequests = 0
    /// Requests the API server refused because calling a webhook failed (down, timed out).
    public var failedWebhookCalls = 0
    /// Decision lines written outside the API server log's time span, not compared.
    public var decisionsOutsideWindow = 0
    /// API server log lines too long to read (`file:line`), skipped.
    public var oversizedEvents: [String] = []

    public var isConsistent: Bool { findings.isEmpty }
}

/// Which namespaces must never see a pod created without Portcullis, from the policy: each namespace's class
/// (`namespaceClasses`, else `defaultClass`) unless that class may fail open or the namespace is excluded
/// from the webhook (its own namespace, `kube-system`).
public struct RegulatedNamespaces: Sendable, Equatable {
    public var namespaceClasses: [String: String]
    public var defaultClass: String?
    /// Classes whose webhook is `failurePolicy: Ignore` (`portcullis manifests --fail-open`).
    public var failOpen: Set<String>
    public var excluded: Set<String>

    public init(
        namespaceClasses: [String: String], defaultClass: String?, failOpen: Set<String>, excluded: Set<String>
    ) {
        self.namespaceClasses = namespaceClasses
        self.defaultClass = defaultClass
        self.failOpen = failOpen
        self.excluded = excluded
    }

    /// The class that regulates `namespace`, or nil when a pod may be created there without Portcullis.
    public func regulatingClass(of namespace: String) -> String? {
        guard !excluded.contains(namespace), let name = namespaceClasses[namespace] ?? defaultClass,
            !failOpen.contains(name)
        else { return nil }
        return name
    }
}
