import AdmissionAPI

/// The pod spec a request would run, with what the checks and their messages need to know about it.
struct PodUnderReview {
    /// One container of any kind, with its role and where it sits in the spec.
    struct ContainerEntry {
        var container: Container
        /// `container`, `init container`, `sidecar container` or `ephemeral container`.
        var role: String
        /// `containers`, `initContainers` or `ephemeralContainers`.
        var list: StaticString
        var index: Int
        var specPath: String

        /// e.g. `spec.template.spec.initContainers[0]`; built only for messages.
        var path: String { "\(specPath).\(list)[\(index)]" }
    }

    var workloadKind: String
    var workloadName: String
    var spec: PodSpec
    /// `spec`, `spec.template.spec` or `spec.jobTemplate.spec.template.spec`.
    var specPath: String
    /// True for a workload's pod template rather than a pod.
    var isTemplate: Bool
    /// `spec.nodeName` of the old object of an UPDATE; the scheduler sets it on a bound pod, so an
    /// unchanged value is not a bypass.
    var previousNodeName: String?
    /// `spec.schedulerName` of the old object of an UPDATE.
    var previousSchedulerName: String?
    let containers: [ContainerEntry]

    init(
        workloadKind: String, workloadName: String, spec: PodSpec, specPath: String,
        previousNodeName: String?, previousSchedulerName: String? = nil
    ) {
        self.workloadKind = workloadKind
        self.workloadName = workloadName
        self.spec = spec
        self.specPath = specPath
        self.isTemplate = workloadKind != "Pod"
        self.previousNodeName = previousNodeName
        self.previousSchedulerName = previousSchedulerName
        var entries: [ContainerEntry] = []
        for (index, container) in spec.containers.enumerated() {
            entries.append(
                ContainerEntry(
                    container: container, role: "container", list: "containers", index: index, specPath: specPath))
        }
        for (index, container) in spec.initContainers.enumerated() {
            let role = container.restartPolicy == "Always" ? "sidecar container" : "init container"
            entries.append(
                ContainerEntry(
                    container: container, role: role, list: "initContainers", index: index, specPath: specPath))
        }
        for (index, container) in spec.ephemeralContainers.enumerated() {
            entries.append(
                ContainerEntry(
                    container: container, role: "ephemeral container", list: "ephemeralContainers", index: index,
                    specPath: specPath))
        }
        containers = entries
    }

    /// How messages name the object: `Pod "x"`, or `Deployment "y" pod template`.
    var subject: String {
        let name = workloadName.isEmpty ? "" : " \(workloadName.quotedForMessage)"
        return isTemplate ? "\(workloadKind)\(name) pod template" : "\(workloadKind)\(name)"
    }
}
