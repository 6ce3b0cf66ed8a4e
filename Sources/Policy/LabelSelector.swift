/// A Kubernetes label selector (`matchLabels` and `matchExpressions`), with the API server's semantics: every
/// requirement must hold; `NotIn` and `DoesNotExist` hold for an object without the label.
public struct LabelSelector: Sendable, Equatable, CustomStringConvertible {
    /// One `matchExpressions` entry.
    public struct Requirement: Sendable, Equatable {
        public enum Operator: String, Sendable, CaseIterable {
            case `in` = "In"
            case notIn = "NotIn"
            case exists = "Exists"
            case doesNotExist = "DoesNotExist"
        }

        public var key: String
        public var op: Operator
        /// Non-empty for `In` and `NotIn`, empty for `Exists` and `DoesNotExist` (the policy file enforces it).
        public var values: [String]

        public init(key: String, op: Operator, values: [String] = []) {
            self.key = key
            self.op = op
            self.values = values
        }

        func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch op {
            case .in: return value.map(values.contains) ?? false
            case .notIn: return value.map { !values.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            }
        }

        /// True for `In` and `Exists`: only these need the object to carry a label.
        var needsLabel: Bool { op == .in || op == .exists }
    }

    public var matchLabels: [String: String]
    public var matchExpressions: [Requirement]

    public init(matchLabels: [String: String] = [:], matchExpressions: [Requirement] = []) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    public func matches(_ labels: [String: String]) -> Bool {
        matchLabels.allSatisfy { labels[$0.key] == $0.value } && matchExpressions.allSatisfy { $0.matches(labels) }
    }

    /// False when an object without labels would match: the selector is empty, or only `NotIn` and `DoesNotExist`.
    /// Such a selector selects nearly everything, so the policy file refuses it as an exemption's only matcher.
    public var needsLabel: Bool { !matchLabels.isEmpty || matchExpressions.contains(where: \.needsLabel) }

    /// `app=x, tier in (a, b), !debug`, as kubectl writes selectors.
    public var description: String {
        let labels = matchLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let expressions = matchExpressions.map { requirement in
            switch requirement.op {
            case .in: "\(requirement.key) in (\(requirement.values.joined(separator: ", ")))"
            case .notIn: "\(requirement.key) notin (\(requirement.values.joined(separator: ", ")))"
            case .exists: requirement.key
            case .doesNotExist: "!\(requirement.key)"
            }
        }
        return (labels + expressions).joined(separator: ", ")
    }
}
