import AdmissionAPI

/// Rules `gpu-toleration`, `gpu-pool` and `gpu-squatting` (IDs kept from when every accelerator was a GPU):
/// accelerator pods run on their class's accelerator pools, and only accelerator pods tolerate accelerator nodes.
///
/// Reads: `resources.requests` and `resources.limits` of every container, init container and ephemeral
/// container (an accelerator only in limits, or only in an init container, still counts; a zero quantity does
/// not); `resourceClaims` (any entry makes the pod an accelerator pod: the claim's device class lives in a
/// ResourceClaim or ResourceClaimTemplate admission cannot read, so it is presumed an accelerator, fail
/// closed; those objects are checked on their own by ``DeviceClaimCheck``); `tolerations`; `nodeSelector`
/// and required node affinity on the policy's node-pool label.
/// Allows: a pod using an accelerator that tolerates every accelerator taint that applies to the resources it
/// uses (taints not scoped to resources, for a pod with claims only; not required of workload templates
/// requesting extended resources when the cluster runs `ExtendedResourceToleration`, which adds it to the
/// pods) and is confined to the class's `acceleratorNodePools`; a pod using no accelerator that tolerates no
/// accelerator taint.
enum AcceleratorPlacementCheck {
    static func check(_ pod: PodUnderReview, in dataClass: DataClass, accelerators: AcceleratorSettings) -> [Finding] {
        var className: String { dataClass.name.quotedForMessage }
        var tolerationsPath: String { "\(pod.specPath).tolerations" }
        guard let use = firstAcceleratorUse(pod, accelerators: accelerators) else {
            var findings: [Finding] = []
            for (index, toleration) in pod.spec.tolerations.enumerated() {
                // An empty key is reported once, as a blanket toleration, in classes with dedicated pools.
                if toleration.key.isEmpty && dataClass.hasDedicatedPools { continue }
                guard let taint = accelerators.taints.first(where: { toleration.mayTolerate($0) }) else { continue }
                findings.append(
                    Finding(
                        rule: .gpuSquatting, path: "\(tolerationsPath)[\(index)]",
                        message:
                            "\(pod.subject): toleration \(toleration.summary) (\(tolerationsPath)[\(index)]) tolerates"
                            + " the accelerator taint \(taint) but the pod uses no accelerator; remove it,"
                            + " accelerator nodes are reserved for accelerator workloads"))
            }
            return findings
        }
        var findings: [Finding] = []
        let requested = requestedAcceleratorResources(pod, accelerators: accelerators)
        // The plugin adds tolerations for extended resources only, never for resource claims.
        let exemptFromToleration = pod.isTemplate && accelerators.extendedResourceToleration && !requested.isEmpty
        if !exemptFromToleration {
            let required = accelerators.taints.filter { taint in
                taint.resources.isEmpty
                    || requested.contains { $0.isListed(in: taint.resources) }
            }
            for taint in required where !pod.spec.tolerations.contains(where: { $0.certainlyTolerates(taint) }) {
                findings.append(
                    Finding(
                        rule: .gpuToleration, path: tolerationsPath,
                        message:
                            "\(pod.subject): \(use) but no toleration in \(tolerationsPath) tolerates the accelerator taint"
                            + " \(taint); add {key: \(taint.key), operator: Exists, effect: \(taint.effect)}"))
            }
        }
        guard !dataClass.acceleratorNodePools.isEmpty else {
            findings.append(
                Finding(
                    rule: .gpuPool, path: pod.specPath,
                    message: "\(pod.subject): \(use), but class \(className) has no accelerator node pools; run it in a"
                        + " class that has accelerator pools or remove the accelerator request"))
            return findings
        }
        let constraint = PlacementConstraint(
            noun: "node pool", keys: [accelerators.nodePoolLabel], allowed: dataClass.acceleratorNodePools)
        var pools: String { dataClass.acceleratorNodePools.joined(separator: ", ") }
        for problem in constraint.problems(in: pod.spec, specPath: pod.specPath) {
            switch problem {
            case .forbidden(let path, let key, let value):
                findings.append(
                    Finding(
                        rule: .gpuPool, path: path,
                        message:
                            "\(pod.subject): \(use) and selects node pool \(key)=\(value.quotedForMessage) (\(path));"
                            + " class \(className) allows only accelerator pools \(pools)"))
            case .unconfined(let reason):
                findings.append(
                    Finding(
                        rule: .gpuPool, path: pod.specPath,
                        message:
                            "\(pod.subject): \(use) but is not confined to an accelerator pool of class \(className): \(reason);"
                            + " set nodeSelector \(accelerators.nodePoolLabel) to one of \(pools)"))
            }
        }
        return findings
    }

    /// The first accelerator the pod asks for; its phrase (`container "trainer" limits nvidia.com/gpu=2`) is built
    /// only when a message needs it.
    private enum AcceleratorUse: CustomStringConvertible {
        case resource(entry: PodUnderReview.ContainerEntry, field: String, resource: String, quantity: String)
        case claim(PodResourceClaim, path: String)

        var description: String {
            switch self {
            case .resource(let entry, let field, let resource, let quantity):
                return "\(entry.role) \(entry.container.name.quotedForMessage) \(field) \(resource)=\(quantity)"
            case .claim(let claim, let path):
                let source =
                    if !claim.resourceClaimTemplateName.isEmpty {
                        "ResourceClaimTemplate \(claim.resourceClaimTemplateName.quotedForMessage)"
                    } else if !claim.resourceClaimName.isEmpty {
                        "ResourceClaim \(claim.resourceClaimName.quotedForMessage)"
                    } else {
                        "neither a claim nor a template"
                    }
                return "resource claim \(claim.name.quotedForMessage) (\(path), from \(source); counted as an"
                    + " accelerator, since admission cannot see which devices a claim allocates)"
            }
        }
    }

    /// True when the pod asks for an accelerator by any path (an extended resource or a resource claim).
    static func usesAccelerator(_ pod: PodUnderReview, accelerators: AcceleratorSettings) -> Bool {
        firstAcceleratorUse(pod, accelerators: accelerators) != nil
    }

    /// Every accelerator resource any container asks for (non-zero), for taints that apply to some only.
    private static func requestedAcceleratorResources(
        _ pod: PodUnderReview, accelerators: AcceleratorSettings
    ) -> Set<String> {
        var names: Set<String> = []
        for entry in pod.containers {
            for (name, quantity) in entry.container.requests + entry.container.limits
            where accelerators.isAccelerator(name) && !isZero(quantity) {
                names.insert(name)
            }
        }
        return names
    }

    private static func firstAcceleratorUse(
        _ pod: PodUnderReview, accelerators: AcceleratorSettings
    ) -> AcceleratorUse? {
        for entry in pod.containers {
            for (name, quantity) in entry.container.requests
            where accelerators.isAccelerator(name) && !isZero(quantity) {
                return .resource(entry: entry, field: "requests", resource: name, quantity: quantity)
            }
            for (name, quantity) in entry.container.limits where accelerators.isAccelerator(name) && !isZero(quantity) {
                return .resource(entry: entry, field: "limits", resource: name, quantity: quantity)
            }
        }
        if let claim = pod.spec.resourceClaims.first {
            return .claim(claim, path: "\(pod.specPath).resourceClaims[0]")
        }
        return nil
    }

    /// `0`, `0.0`, `00`: a request for none. Anything else, even unparsable, counts as an accelerator (fail closed).
    private static func isZero(_ quantity: String) -> Bool {
        !quantity.isEmpty && quantity.allSatisfy { $0 == "0" || $0 == "." } && quantity.contains("0")
    }
}
