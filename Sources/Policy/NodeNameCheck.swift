/// Rule `node-name`: a pod that names its node skips the scheduler, so taints, node selectors and
/// affinity (everything the placement rules rely on) are never applied.
///
/// Reads: `spec.nodeName`, and on UPDATE the old object's `spec.nodeName`.
/// Allows: an empty `nodeName`; an unchanged one on UPDATE (the scheduler sets it when it binds the pod);
/// any `nodeName` in a class with no zones, regions or dedicated pools.
enum NodeNameCheck {
    static func check(_ pod: PodUnderReview, in dataClass: DataClass) -> [Finding] {
        let nodeName = pod.spec.nodeName
        guard !nodeName.isEmpty, dataClass.dependsOnScheduler, pod.previousNodeName != nodeName else { return [] }
        let path = "\(pod.specPath).nodeName"
        return [
            Finding(
                rule: .nodeName, path: path,
                message:
                    "\(pod.subject): \(path) is \(nodeName.quotedForMessage), which bypasses the scheduler and with"
                    + " it every zone, pool and taint rule of class \(dataClass.name.quotedForMessage);"
                    + " remove nodeName and"
                    + " use nodeSelector or node affinity")
        ]
    }
}
