import AdmissionAPI

/// What an UPDATE changes that some rule reads, so that it is judged on that alone.
///
/// Controllers update running pods all the time without changing what they run or where: the Job controller
/// removes its tracking finalizer, operators edit labels and annotations, the API server bumps
/// `resourceVersion`. Judging such an update like a CREATE denies it whenever the policy was tightened after the
/// pod started (a tag-only image in a class that now requires digests), and the pod is stuck. Kubernetes' Pod
/// Security Admission has the same rule: an update that changes nothing it checks is allowed.
///
/// Reads: the old and new pod specs (every field a rule reads: images, tolerations, `nodeSelector`, required
/// affinity, `nodeName`, `schedulerName`, resources, resource claims, volumes, ephemeral containers), the old and
/// new models and volume claim templates.
/// Keeps: an image finding only when that image (by JSON path) is new or different; any other finding only when
/// one of the fields its rule reads changed. Findings not about a pod spec (claims, bindings, class resolution)
/// are always kept.
struct SignificantUpdate {
    enum Aspect: String, CaseIterable {
        case tolerations
        case nodeSelection = "node selection"
        case nodeName
        case schedulerName
        case resources
        case resourceClaims
        case volumes
        case models
    }

    /// JSON path of the pod spec compared.
    let specPath: String
    /// The aspects that changed, other than images.
    let changed: Set<Aspect>
    /// JSON paths of images that are new or differ from the old object's at the same path.
    let changedImagePaths: [String]

    init(old: PodUnderReview, new: PodUnderReview, oldClaims: [ClaimTemplate], newClaims: [ClaimTemplate]) {
        specPath = new.specPath
        var oldImages: [String: String] = [:]
        for entry in old.images { oldImages[entry.path] = entry.image }
        changedImagePaths = new.images.compactMap { oldImages[$0.path] == $0.image ? nil : $0.path }
        var changed = Set<Aspect>()
        if old.spec.tolerations != new.spec.tolerations { changed.insert(.tolerations) }
        if old.spec.nodeSelector != new.spec.nodeSelector
            || old.spec.requiredNodeAffinity != new.spec.requiredNodeAffinity
        {
            changed.insert(.nodeSelection)
        }
        if old.spec.nodeName != new.spec.nodeName { changed.insert(.nodeName) }
        if old.spec.schedulerName != new.spec.schedulerName { changed.insert(.schedulerName) }
        if !Self.sameResources(old.containers, new.containers) { changed.insert(.resources) }
        if old.spec.resourceClaims != new.spec.resourceClaims { changed.insert(.resourceClaims) }
        if old.spec.volumes != new.spec.volumes || oldClaims != newClaims { changed.insert(.volumes) }
        if old.modelSources != new.modelSources { changed.insert(.models) }
        self.changed = changed
    }

    /// True when the update changes nothing any rule reads.
    var isUnchanged: Bool { changed.isEmpty && changedImagePaths.isEmpty }

    /// What changed, for the decision's reason: each changed image by path, then each other changed field.
    var parts: [String] {
        changedImagePaths.map { "image \($0)" } + Aspect.allCases.filter(changed.contains).map(\.rawValue)
    }

    /// What the decision and the audit line say about an update of one or more pod templates.
    static func reason(_ updates: [SignificantUpdate], namingTemplates: Bool) -> String {
        if updates.allSatisfy(\.isUnchanged) {
            return "unchanged placement and images: the update changes no field a rule reads (only metadata or status),"
                + " so it is allowed without judgement"
        }
        let parts = updates.flatMap { update in
            // Image parts carry their full path already; other fields are named with their template's.
            update.parts.map { namingTemplates && !$0.hasPrefix("image ") ? "\(update.specPath) \($0)" : $0 }
        }
        return "update judged on what it changes: " + parts.joined(separator: ", ")
    }

    /// Whether `finding` is about something this update changes.
    func keeps(_ finding: Finding) -> Bool {
        let reads: [Aspect]
        switch finding.rule {
        case .registryOrigin, .imageDigest, .imageReference, .deniedRegistry, .deniedImage, .deniedTag, .imageSignature,
            .signatureUnverifiable, .signatureApproval, .signatureExpired, .signatureReviewOverdue, .imageAttestation:
            return changedImagePaths.contains(finding.path)
        case .gpuToleration, .gpuPool, .gpuSquatting:
            reads = [.resources, .resourceClaims, .tolerations, .nodeSelection]
        case .blanketToleration, .foreignTaint: reads = [.tolerations]
        case .nodePool: reads = [.nodeSelection, .resources, .resourceClaims]
        case .zoneResidency: reads = [.nodeSelection]
        case .nodeName: reads = [.nodeName]
        case .schedulerName: reads = [.schedulerName]
        case .csiDriver, .volumeType, .storageClass: reads = [.volumes]
        case .modelSource: reads = [.models]
        case .nodeBinding, .deviceClass, .deviceCount, .unknownClass, .unreadableObject: return true
        }
        return reads.contains(where: changed.contains)
    }

    private static func sameResources(_ old: [PodUnderReview.ContainerEntry], _ new: [PodUnderReview.ContainerEntry])
        -> Bool
    {
        old.elementsEqual(new) { lhs, rhs in
            lhs.list.description == rhs.list.description && lhs.container.name == rhs.container.name
                && lhs.container.requests.elementsEqual(rhs.container.requests, by: ==)
                && lhs.container.limits.elementsEqual(rhs.container.limits, by: ==)
        }
    }
}
