import Foundation

/// An exception to the policy, always with a reason that every decision it affects records. It names what it covers
/// by one or more matchers, all of which must hold: a namespace, an image repository, the service account the pods
/// run as, the service account, user or group that makes the request, or a label selector on the object.
public struct Exemption: Sendable, Equatable {
    /// One thing an exemption matches on.
    public enum Subject: Sendable, Equatable, CustomStringConvertible {
        case namespace(String)
        /// A normalised repository (`docker.io/nvidia/dcgm-exporter`), matched regardless of tag and digest.
        case image(String)
        /// Pods that run as this service account: the pod spec's `serviceAccountName` (`default` when unset) in the
        /// request's namespace. It covers whatever creates the pods, a controller included.
        case podServiceAccount(ServiceAccountName)
        /// Requests this service account makes (`userInfo.username` `system:serviceaccount:<namespace>:<name>`):
        /// what a CI deployer applies, not the pods a controller later creates from it.
        case requesterServiceAccount(ServiceAccountName)
        /// Requests this user makes (`userInfo.username`, exactly).
        case user(String)
        /// Requests made by a member of this group (`userInfo.groups`, as the API server authenticated them).
        case group(String)
        /// Objects whose `metadata.labels` the selector matches.
        case labels(LabelSelector)

        public var description: String {
            switch self {
            case .namespace(let name): "namespace \(name)"
            case .image(let repository): "image \(repository)"
            case .podServiceAccount(let account): "pods running as service account \(account)"
            case .requesterServiceAccount(let account): "requests by service account \(account)"
            case .user(let name): "user \(name)"
            case .group(let name): "group \(name)"
            case .labels(let selector): "labels \(selector)"
            }
        }
    }

    /// What the exemption covers: every one must match. Never empty (the policy file refuses an exemption that
    /// would match everything).
    public var subjects: [Subject]
    public var reason: String
    /// The rules it lifts; empty means all rules.
    public var rules: [RuleID]
    /// The classes it applies in; empty means all classes.
    public var classes: [String]
    /// After this instant the exemption no longer applies.
    public var expires: Date?

    public init(subjects: [Subject], reason: String, rules: [RuleID] = [], classes: [String] = [], expires: Date? = nil)
    {
        self.subjects = subjects
        self.reason = reason
        self.rules = rules
        self.classes = classes
        self.expires = expires
    }

    /// How messages and the audit report name what it matched: `namespace platform and user alice`.
    public var subjectDescription: String { subjects.map(\.description).joined(separator: " and ") }
}

/// A service account, `namespace/name` in the policy file.
public struct ServiceAccountName: Sendable, Hashable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// The username the API server authenticates this account's tokens as.
    public var username: String { "system:serviceaccount:\(namespace):\(name)" }

    public var description: String { "\(namespace)/\(name)" }
}
