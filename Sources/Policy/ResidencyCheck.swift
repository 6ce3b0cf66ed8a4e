/// Rule `zone-residency`: every node the pod could land on lies in its class's zones (and regions).
///
/// Reads: `nodeSelector` and `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution` on
/// `topology.kubernetes.io/zone` / `failure-domain.beta.kubernetes.io/zone` (and the `region` pair).
/// Allows: for a class with `zones`, a pod confined to them as ``PlacementConstraint`` defines; likewise,
/// independently, for `regions`, where a zone selector or `In` confines the pod to the zone's region (the policy's
/// `zoneRegions`, else the clouds' naming). Classes with neither are not checked.
enum ResidencyCheck {
    static let zoneKeys = ["topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"]
    static let regionKeys = ["topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"]

    static func check(_ pod: PodUnderReview, in dataClass: DataClass, policy: PolicyDocument) -> [Finding] {
        var findings: [Finding] = []
        var className: String { dataClass.name.quotedForMessage }
        for (noun, keys, allowedValues) in [
            ("zone", zoneKeys, dataClass.zones), ("region", regionKeys, dataClass.regions),
        ]
        where !allowedValues.isEmpty {
            var constraint = PlacementConstraint(noun: noun, keys: keys, allowed: allowedValues)
            if noun == "region" {
                constraint.derivedKeys = zoneKeys
                constraint.derive = policy.region(ofZone:)
            }
            var allowed: String { constraint.allowed.joined(separator: ", ") }
            for problem in constraint.problems(in: pod.spec, specPath: pod.specPath) {
                switch problem {
                case .forbidden(let path, let key, let value):
                    findings.append(
                        Finding(
                            rule: .zoneResidency, path: path,
                            message: "\(pod.subject): \(path) selects \(key)=\(value.quotedForMessage), outside class"
                                + " \(className) \(constraint.noun)s \(allowed)"))
                case .unconfined(let reason):
                    findings.append(
                        Finding(
                            rule: .zoneResidency, path: pod.specPath,
                            message: "\(pod.subject) could be scheduled outside class \(className) \(constraint.noun)s"
                                + " \(allowed): \(reason); set nodeSelector \(constraint.keys[0]) or a required node"
                                + " affinity whose every term has \(constraint.keys[0]) In [\(allowed)]"))
                }
            }
        }
        return findings
    }
}
