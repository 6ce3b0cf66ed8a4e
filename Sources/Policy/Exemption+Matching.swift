import AdmissionAPI
import Foundation

/// What an exemption may match on, from one admission request. Only what the AdmissionReview carries: the API server
/// sends the requester and the object, never the namespace's labels, so there is no namespace selector.
struct ExemptionScope {
    var namespace: String
    var userInfo: UserInfo
    /// The object under review, whose `metadata.labels` a label selector reads (decoded only then).
    var object: KubernetesObject?
}

extension Exemption {
    /// True when the exemption lifts `finding` of a request in `scope`, judged in class `className` at `now`.
    func lifts(_ finding: Finding, in scope: ExemptionScope, className: String, now: Date) -> Bool {
        guard classes.isEmpty || classes.contains(className), rules.isEmpty || rules.contains(finding.rule),
            expires.map({ now < $0 }) ?? true
        else { return false }
        return subjects.allSatisfy { $0.matches(finding, in: scope) }
    }
}

extension Exemption.Subject {
    func matches(_ finding: Finding, in scope: ExemptionScope) -> Bool {
        switch self {
        case .namespace(let name): return name == scope.namespace
        case .image(let repository):
            guard let image = finding.image, let reference = try? ImageReference.parse(image) else { return false }
            return reference.repository == repository
        case .podServiceAccount(let account):
            // Only a finding about a pod (or template) has one: claims, bindings and volume claims run as no one.
            guard let runsAs = finding.serviceAccount else { return false }
            return account.namespace == scope.namespace && account.name == (runsAs.isEmpty ? "default" : runsAs)
        case .requesterServiceAccount(let account): return scope.userInfo.username == account.username
        case .user(let name): return scope.userInfo.username == name
        case .group(let name): return scope.userInfo.groups.contains(name)
        case .labels(let selector): return selector.matches(scope.object?.metadata.labels ?? [:])
        }
    }
}
