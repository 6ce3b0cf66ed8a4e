/// Rules `blanket-toleration` and `foreign-taint`: pods stay off nodes dedicated to other classes.
///
/// Reads: `tolerations` (key, operator, value, effect, matched as Kubernetes does).
/// Allows: in a class with dedicated pools (accelerator pools or dedicated taints), no toleration with an empty key
/// (it tolerates every taint; with an empty effect, every effect too). In every class, no toleration that
/// may tolerate a taint another class dedicates (unless this class dedicates the same taint).
enum TolerationScopeCheck {
    /// The taints other classes dedicate that `dataClass` does not, with their owner; the engine computes
    /// this once per class when it loads a policy.
    static func foreignTaints(of dataClass: DataClass, in policy: PolicyDocument) -> [(owner: String, taint: Taint)] {
        let own = Set(dataClass.dedicatedTaints)
        return policy.classes.values.filter { $0.name != dataClass.name }.sorted { $0.name < $1.name }
            .flatMap { other in other.dedicatedTaints.filter { !own.contains($0) }.map { (other.name, $0) } }
    }

    static func check(
        _ pod: PodUnderReview, in dataClass: DataClass, accelerators: AcceleratorSettings,
        foreign: [(owner: String, taint: Taint)]
    ) -> [Finding] {
        var findings: [Finding] = []
        var className: String { dataClass.name.quotedForMessage }
        for (index, toleration) in pod.spec.tolerations.enumerated() {
            var path: String { "\(pod.specPath).tolerations[\(index)]" }
            if toleration.key.isEmpty && dataClass.hasDedicatedPools {
                let widened = toleration.effect.isEmpty ? " and, with an empty effect, every effect" : ""
                let permitted = (accelerators.taints + dataClass.dedicatedTaints).map(\.description).joined(
                    separator: ", ")
                findings.append(
                    Finding(
                        rule: .blanketToleration, path: path,
                        message: "\(pod.subject): toleration \(toleration.summary) (\(path)) has an empty key, so it"
                            + " tolerates every taint\(widened); class \(className) runs on dedicated pools:"
                            + " tolerate only"
                            + " specific taints (\(permitted))"))
                continue
            }
            if let (owner, taint) = foreign.first(where: { toleration.mayTolerate($0.taint) }) {
                findings.append(
                    Finding(
                        rule: .foreignTaint, path: path,
                        message: "\(pod.subject): toleration \(toleration.summary) (\(path)) tolerates taint \(taint),"
                            + " which dedicates nodes to class \(owner.quotedForMessage);"
                            + " class \(className) may tolerate"
                            + " only its own dedicated taints"
                            + (dataClass.dedicatedTaints.isEmpty
                                ? " (it has none)"
                                : " (\(dataClass.dedicatedTaints.map(\.description).joined(separator: ", ")))")))
            }
        }
        return findings
    }
}
