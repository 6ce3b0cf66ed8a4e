import AdmissionAPI

/// Rule `volume-type`: a class's pods keep their data on managed volumes, not on a node's disk or a share
/// outside the class's control.
///
/// Reads: the source type of every entry in `volumes` (`hostPath`, `nfs`, `iscsi`, …).
/// Allows: every type the class's `forbidVolumeTypes` does not list. Node agents that must read a node's disk
/// get an exemption with a reason and an expiry, recorded on every decision it lifts.
enum VolumeTypeCheck {
    static func check(_ pod: PodUnderReview, in dataClass: DataClass) -> [Finding] {
        guard !dataClass.forbidVolumeTypes.isEmpty else { return [] }
        return pod.spec.volumes.compactMap { volume in
            guard dataClass.forbidVolumeTypes.contains(volume.source) else { return nil }
            let path = "\(pod.specPath).volumes[\(volume.index)].\(volume.source)"
            return Finding(
                rule: .volumeType, path: path,
                message:
                    "\(pod.subject): volume \(volume.name.quotedForMessage) (\(path)) is a \(volume.source) volume;"
                    + " class \(dataClass.name.quotedForMessage) forbids"
                    + " \(dataClass.forbidVolumeTypes.joined(separator: ", ")); use a PersistentVolumeClaim of an"
                    + " allowed storage class")
        }
    }
}
