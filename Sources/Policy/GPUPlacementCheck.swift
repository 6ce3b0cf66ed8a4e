/// Rules `gpu-toleration`, `gpu-pool` and `gpu-squatting`: GPU pods run on their class's GPU pools, and
/// only GPU pods tolerate GPU nodes.
///
/// Reads: `resources.requests` and `resources.limits` of every container, init container and ephemeral
/// container (a GPU only in limits, or only in an init container, still counts; a zero quantity does not);
/// `tolerations`; `nodeSelector` and required node affinity on the policy's node-pool label.
/// Allows: a pod using a GPU that tolerates every GPU taint that applies to the GPUs it uses (not required
/// of workload templates when the cluster runs `ExtendedResourceToleration`, which adds it to the pods) and
/// is confined to the class's `gpuNodePools`; a pod using no GPU that tolerates no GPU taint.
enum GPUPlacementCheck {
    static func check(_ pod: PodUnderReview, in dataClass: DataClass, gpu: GPUSettings) -> [Finding] {
        var className: String { dataClass.name.quotedForMessage }
        var tolerationsPath: String { "\(pod.specPath).tolerations" }
        guard let use = firstGPUUse(pod, gpu: gpu) else {
            var findings: [Finding] = []
            for (index, toleration) in pod.spec.tolerations.enumerated() {
                // An empty key is reported once, as a blanket toleration, in classes with dedicated pools.
                if toleration.key.isEmpty && dataClass.hasDedicatedPools { continue }
                guard let taint = gpu.taints.first(where: { toleration.mayTolerate($0) }) else { continue }
                findings.append(
                    Finding(
                        rule: .gpuSquatting, path: "\(tolerationsPath)[\(index)]",
                        message:
                            "\(pod.subject): toleration \(toleration.summary) (\(tolerationsPath)[\(index)]) tolerates"
                            + " the GPU taint \(taint) but no container requests a GPU; remove it,"
                            + " GPU nodes are reserved"
                            + " for GPU workloads"))
            }
            return findings
        }
        var findings: [Finding] = []
        let exemptFromToleration = pod.isTemplate && gpu.extendedResourceToleration
        if !exemptFromToleration {
            let requested = requestedGPUResources(pod, gpu: gpu)
            let required = gpu.taints.filter { taint in
                taint.resources.isEmpty || requested.contains { GPUSettings.resource($0, matches: taint.resources) }
            }
            for taint in required where !pod.spec.tolerations.contains(where: { $0.certainlyTolerates(taint) }) {
                findings.append(
                    Finding(
                        rule: .gpuToleration, path: tolerationsPath,
                        message:
                            "\(pod.subject): \(use) but no toleration in \(tolerationsPath) tolerates the GPU taint"
                            + " \(taint); add {key: \(taint.key), operator: Exists, effect: \(taint.effect)}"))
            }
        }
        guard !dataClass.gpuNodePools.isEmpty else {
            findings.append(
                Finding(
                    rule: .gpuPool, path: pod.specPath,
                    message: "\(pod.subject): \(use), but class \(className) has no GPU node pools; run it in a class"
                        + " that has GPU pools or remove the GPU request"))
            return findings
        }
        let constraint = PlacementConstraint(
            noun: "node pool", keys: [gpu.nodePoolLabel], allowed: dataClass.gpuNodePools)
        var pools: String { dataClass.gpuNodePools.joined(separator: ", ") }
        for problem in constraint.problems(in: pod.spec, specPath: pod.specPath) {
            switch problem {
            case .forbidden(let path, let key, let value):
                findings.append(
                    Finding(
                        rule: .gpuPool, path: path,
                        message:
                            "\(pod.subject): \(use) and selects node pool \(key)=\(value.quotedForMessage) (\(path));"
                            + " class \(className) allows only GPU pools \(pools)"))
            case .unconfined(let reason):
                findings.append(
                    Finding(
                        rule: .gpuPool, path: pod.specPath,
                        message:
                            "\(pod.subject): \(use) but is not confined to a GPU pool of class \(className): \(reason);"
                            + " set nodeSelector \(gpu.nodePoolLabel) to one of \(pools)"))
            }
        }
        return findings
    }

    /// The first GPU the pod asks for; its phrase (`container "trainer" limits nvidia.com/gpu=2`) is built
    /// only when a message needs it.
    private struct GPUUse: CustomStringConvertible {
        var entry: PodUnderReview.ContainerEntry
        var field: String
        var resource: String
        var quantity: String

        var description: String {
            "\(entry.role) \(entry.container.name.quotedForMessage) \(field) \(resource)=\(quantity)"
        }
    }

    /// Every GPU resource any container asks for (non-zero), for taints that apply to some GPUs only.
    private static func requestedGPUResources(_ pod: PodUnderReview, gpu: GPUSettings) -> Set<String> {
        var names: Set<String> = []
        for entry in pod.containers {
            for (name, quantity) in entry.container.requests where gpu.isGPU(name) && !isZero(quantity) {
                names.insert(name)
            }
            for (name, quantity) in entry.container.limits where gpu.isGPU(name) && !isZero(quantity) {
                names.insert(name)
            }
        }
        return names
    }

    private static func firstGPUUse(_ pod: PodUnderReview, gpu: GPUSettings) -> GPUUse? {
        for entry in pod.containers {
            for (name, quantity) in entry.container.requests where gpu.isGPU(name) && !isZero(quantity) {
                return GPUUse(entry: entry, field: "requests", resource: name, quantity: quantity)
            }
            for (name, quantity) in entry.container.limits where gpu.isGPU(name) && !isZero(quantity) {
                return GPUUse(entry: entry, field: "limits", resource: name, quantity: quantity)
            }
        }
        return nil
    }

    /// `0`, `0.0`, `00`: a request for no GPU. Anything else, even unparsable, counts as a GPU (fail closed).
    private static func isZero(_ quantity: String) -> Bool {
        !quantity.isEmpty && quantity.allSatisfy { $0 == "0" || $0 == "." } && quantity.contains("0")
    }
}
