import AdmissionAPI

/// The pod spec a request would run, with what the checks and their messages need to know about it.
struct PodUnderReview {
    /// One container of any kind with its role and the JSON path of its `image`.
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
    var operation: String
    /// `spec.nodeName` of the old object of an UPDATE; the scheduler sets it on a bound pod, so an
    /// unchanged value is not a bypass.
    var previousNodeName: String?
    let containers: [ContainerEntry]

    init(
        workloadKind: String, workloadName: String, spec: PodSpec, specPath: String, operation: String,
        previousNodeName: String?
    ) {
        self.workloadKind = workloadKind
        self.workloadName = workloadName
        self.spec = spec
        self.specPath = specPath
        self.isTemplate = workloadKind != "Pod"
        self.operation = operation
        self.previousNodeName = previousNodeName
        var entries: [ContainerEntry] = []
        for (index, container) in spec.containers.enumerated() {
            entries.append(
                ContainerEntry(container: container, role: "container", list: "containers", index: index, specPath: specPath))
        }
        for (index, container) in spec.initContainers.enumerated() {
            let role = container.restartPolicy == "Always" ? "sidecar container" : "init container"
            entries.append(
                ContainerEntry(container: container, role: role, list: "initContainers", index: index, specPath: specPath))
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

/// One problem a check found, before exemptions and modes are applied.
struct Finding {
    var rule: RuleID
    /// The JSON path of the offending field.
    var path: String
    var message: String
    /// The image the finding is about, for image exemptions.
    var image: String?
}

extension String {
    /// The string in double quotes with quotes, backslashes and control characters escaped, so a hostile
    /// container name cannot forge a line of a message or a warning.
    var quotedForMessage: String {
        if utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            return "\"" + self + "\""
        }
        var result = "\""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value) || scalar.value == 0x2028
                || scalar.value == 0x2029:
                result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
