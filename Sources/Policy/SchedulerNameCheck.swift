/// Rule `scheduler-name`: a pod handed to another scheduler skips the default scheduler's taint and affinity
/// filters as surely as one that names its node; the kubelet re-checks node selectors and affinity but of the
/// taints only `NoExecute`, and dedicated and accelerator taints are `NoSchedule`.
///
/// Reads: `spec.schedulerName`, and on UPDATE the old object's.
/// Allows: an empty `schedulerName` (the API server sets `default-scheduler`) or one of the class's
/// `schedulerNames` (default `default-scheduler`); an unchanged one on UPDATE (it is immutable, so the pod
/// was admitted with it); any in a class with no zones, regions or dedicated pools.
enum SchedulerNameCheck {
    static func check(_ pod: PodUnderReview, in dataClass: DataClass) -> [Finding] {
        let name = pod.spec.schedulerName
        guard !name.isEmpty, !dataClass.schedulerNames.contains(name), dataClass.dependsOnScheduler,
            pod.previousSchedulerName != name
        else { return [] }
        let path = "\(pod.specPath).schedulerName"
        let allowed = dataClass.schedulerNames.isEmpty ? "none" : dataClass.schedulerNames.joined(separator: ", ")
        return [
            Finding(
                rule: .schedulerName, path: path,
                message:
                    "\(pod.subject): \(path) is \(name.quotedForMessage), a scheduler class"
                    + " \(dataClass.name.quotedForMessage) does not trust to apply its zone, pool and taint rules;"
                    + " remove schedulerName or use one of the class's schedulerNames (\(allowed))")
        ]
    }
}
