/// Rule `node-binding`: binding a pod to a node (`pods/binding`, or the older `bindings` resource) skips the
/// scheduler as `nodeName` does, and the kubelet then re-checks no `NoSchedule` taint; so a binding by anyone
/// but the scheduler must itself keep the pod inside its class's pools and zones.
///
/// Reads: `target.name` of the Binding, the requesting user, and the policy's `binding` section: which users
/// bind for the scheduler, and which nodes (by name or name prefix) lie in which pool, zone and region. The
/// cluster's Node objects are never read: admission is a pure function of the request and the policy.
/// Allows: any binding by one of `binding.schedulers` (it follows the pod's own selectors, affinity and
/// tolerations, which admission confined); otherwise, a binding to a node the policy places outside every
/// other class's accelerator and node pools, in one of the class's own pools when it has `nodePools`, and
/// inside the class's zones and regions, or, in a class with no zones,
/// regions or dedicated pools, to a node the policy does not know.
enum NodeBindingCheck {
    static func check(
        node: String, subject: String, username: String, in dataClass: DataClass, policy: PolicyDocument
    ) -> [Finding] {
        let path = "target.name"
        var className: String { dataClass.name.quotedForMessage }
        var schedulers: String { policy.binding.schedulers.joined(separator: ", ") }
        var binds: String {
            "\(subject) binds the pod to node \(node.quotedForMessage) (\(path)) as \(username.quotedForMessage)"
        }
        guard !policy.binding.schedulers.contains(username) else { return [] }
        guard !node.isEmpty else {
            return [
                Finding(
                    rule: .nodeBinding, path: path,
                    message: "\(subject) names no target node in \(path); a Binding must name the node it binds to")
            ]
        }
        guard let placement = policy.binding.placement(of: node) else {
            guard dataClass.dependsOnScheduler else { return [] }
            return [
                Finding(
                    rule: .nodeBinding, path: path,
                    message: "\(binds), but the policy's binding.nodes does not place that node, so its pool and"
                        + " zone are unknown; in class \(className) only the scheduler (\(schedulers)) may bind"
                        + " pods, or add the node's name prefix to binding.nodes")
            ]
        }
        var findings: [Finding] = []
        let owners = policy.classNames.filter {
            policy.classes[$0]?.acceleratorNodePools.contains(placement.pool) == true
        }
        if !owners.isEmpty && !owners.contains(dataClass.name) {
            let pools =
                dataClass.acceleratorNodePools.isEmpty ? "none" : dataClass.acceleratorNodePools.joined(separator: ", ")
            findings.append(
                Finding(
                    rule: .nodeBinding, path: path,
                    message: "\(binds), which is in node pool \(placement.pool.quotedForMessage), an accelerator"
                        + " pool of class \(owners.map(\.quotedForMessage).joined(separator: ", ")); class"
                        + " \(className) may use only its own accelerator pools (\(pools))"))
        } else if owners.isEmpty {
            // CPU pools (`nodePools`): a Binding carries no pod spec, so a class with pools may bind to any of its
            // own pools, CPU or accelerator, and no class to another's.
            let own = dataClass.nodePools + dataClass.acceleratorNodePools
            let poolOwners = policy.classNames.filter { policy.classes[$0]?.nodePools.contains(placement.pool) == true }
            if !own.contains(placement.pool) && (!dataClass.nodePools.isEmpty || !poolOwners.isEmpty) {
                let owner =
                    poolOwners.isEmpty
                    ? "" : ", a pool of class \(poolOwners.map(\.quotedForMessage).joined(separator: ", "))"
                findings.append(
                    Finding(
                        rule: .nodeBinding, path: path,
                        message: "\(binds), which is in node pool \(placement.pool.quotedForMessage)\(owner); class"
                            + " \(className) may run only on "
                            + (dataClass.nodePools.isEmpty
                                ? "pools no other class dedicates" : "its own pools (\(own.joined(separator: ", ")))")))
            }
        }
        for (noun, allowed, known) in [
            ("zone", dataClass.zones, placement.zone), ("region", dataClass.regions, placement.region),
        ] where !allowed.isEmpty {
            var list: String { allowed.joined(separator: ", ") }
            if let known, allowed.contains(known) { continue }
            let location =
                known.map { "which is in \(noun) \($0.quotedForMessage)" } ?? "whose \(noun) the policy does not know"
            findings.append(
                Finding(
                    rule: .nodeBinding, path: path,
                    message: "\(binds), \(location); class \(className) allows only \(noun)s \(list)"
                        + (known == nil ? " (set \(noun) on the node's binding.nodes entry)" : "")))
        }
        return findings
    }
}
