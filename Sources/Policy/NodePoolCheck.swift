import AdmissionAPI

/// Rule `node-pool`: a class's pods stay inside its dedicated node pools, and no class runs on another's.
///
/// Dedicated taints only keep *other* pods off a class's nodes; nothing in them keeps the class's own pods *on*
/// those nodes. A `cardholder-data` pod that selects the shared pool in an allowed zone is scheduled next to
/// non-CDE workloads. This rule is the other half of the segmentation.
///
/// Reads: `nodeSelector` and `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution` on the
/// policy's node-pool label (`accelerators.nodePoolLabel`), and whether the pod uses an accelerator.
/// Allows: in a class with `nodePools`, a pod using no accelerator that is confined to them as
/// ``PlacementConstraint`` defines (accelerator pods are confined to `acceleratorNodePools` by `gpu-pool`); in a
/// class without `nodePools`, a pod using no accelerator whose selector and `In` values name no pool another class
/// lists (in `nodePools` or `acceleratorNodePools`) and this class does not.
enum NodePoolCheck {
    /// Pool → the classes that list it, for the pools other classes own and `dataClass` does not; the engine
    /// computes this once per class when it loads a policy.
    static func foreignPools(of dataClass: DataClass, in policy: PolicyDocument) -> [String: [String]] {
        let own = Set(dataClass.nodePools + dataClass.acceleratorNodePools)
        var owners: [String: [String]] = [:]
        for other in policy.classes.values.sorted(by: { $0.name < $1.name }) where other.name != dataClass.name {
            for pool in other.nodePools + other.acceleratorNodePools where !own.contains(pool) {
                owners[pool, default: []].append(other.name)
            }
        }
        return owners
    }

    static func check(
        _ pod: PodUnderReview, in dataClass: DataClass, poolLabel: String, usesAccelerator: Bool,
        foreign: [String: [String]]
    ) -> [Finding] {
        guard !usesAccelerator else { return [] }
        var className: String { dataClass.name.quotedForMessage }
        func owner(_ pool: String) -> String {
            guard let classes = foreign[pool] else { return "" }
            return ", a pool of class " + classes.map(\.quotedForMessage).joined(separator: ", ")
        }
        guard dataClass.nodePools.isEmpty else {
            let constraint = PlacementConstraint(noun: "node pool", keys: [poolLabel], allowed: dataClass.nodePools)
            var pools: String { dataClass.nodePools.joined(separator: ", ") }
            return constraint.problems(in: pod.spec, specPath: pod.specPath).map { problem in
                switch problem {
                case .forbidden(let path, let key, let value):
                    Finding(
                        rule: .nodePool, path: path,
                        message: "\(pod.subject): \(path) selects node pool \(key)=\(value.quotedForMessage)"
                            + "\(owner(value)); class \(className) runs only on node pools \(pools)")
                case .unconfined(let reason):
                    Finding(
                        rule: .nodePool, path: pod.specPath,
                        message: "\(pod.subject) is not confined to the node pools of class \(className) (\(pools)):"
                            + " \(reason); set nodeSelector \(poolLabel) to one of \(pools)")
                }
            }
        }
        guard !foreign.isEmpty else { return [] }
        var findings: [Finding] = []
        if let value = pod.spec.nodeSelector[poolLabel], foreign[value] != nil {
            let path = "\(pod.specPath).nodeSelector"
            findings.append(
                foreignFinding(pod, path: path, key: poolLabel, value: value, owner: owner(value), className))
        }
        for (index, term) in (pod.spec.requiredNodeAffinity ?? []).enumerated() {
            for (expressionIndex, expression) in term.matchExpressions.enumerated()
            where expression.key == poolLabel && expression.operator == "In" {
                for value in expression.values where foreign[value] != nil {
                    let path =
                        "\(pod.specPath).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
                        + ".nodeSelectorTerms[\(index)].matchExpressions[\(expressionIndex)]"
                    findings.append(
                        foreignFinding(pod, path: path, key: poolLabel, value: value, owner: owner(value), className))
                }
            }
        }
        return findings
    }

    private static func foreignFinding(
        _ pod: PodUnderReview, path: String, key: String, value: String, owner: String, _ className: String
    ) -> Finding {
        Finding(
            rule: .nodePool, path: path,
            message: "\(pod.subject): \(path) selects node pool \(key)=\(value.quotedForMessage)\(owner);"
                + " class \(className) may not run on another class's dedicated pools; select a shared pool or none")
    }
}
