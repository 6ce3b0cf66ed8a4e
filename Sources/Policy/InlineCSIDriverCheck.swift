import AdmissionAPI

/// Rule `csi-driver`: inline CSI volumes use only the drivers the class lists.
///
/// Reads: `csi.driver` of every inline CSI volume in `volumes`.
/// Allows: any driver when the class sets no `inlineCSIDrivers`; otherwise only the listed ones. An inline CSI
/// volume mounts whatever its driver fetches (secrets, buckets, images), outside every other rule, so a
/// regulated class names the drivers it trusts; image-pulling drivers are also judged as images
/// (``ImageOriginCheck``).
enum InlineCSIDriverCheck {
    static func check(_ pod: PodUnderReview, in dataClass: DataClass) -> [Finding] {
        guard let allowed = dataClass.inlineCSIDrivers else { return [] }
        return pod.spec.volumes.compactMap { volume in
            guard let driver = volume.csi?.driver, !allowed.contains(driver) else { return nil }
            let path = "\(pod.specPath).volumes[\(volume.index)].csi.driver"
            let listed = allowed.isEmpty ? "no inline CSI drivers" : "only " + allowed.joined(separator: ", ")
            return Finding(
                rule: .csiDriver, path: path,
                message:
                    "\(pod.subject): CSI volume \(volume.name.quotedForMessage) (\(path)) uses driver"
                    + " \(driver.quotedForMessage); class \(dataClass.name.quotedForMessage) allows \(listed);"
                    + " use a listed driver or a PersistentVolumeClaim")
        }
    }
}
