import AdmissionAPI

/// Rule `storage-class`: a class's data lands only on the storage classes it lists (those whose disks are in
/// its zones and encrypted as it requires; `policy lint --cluster-storage` checks that against the cluster).
///
/// Reads: `spec.storageClassName` of a PersistentVolumeClaim on CREATE (it cannot change afterwards), of each
/// StatefulSet `volumeClaimTemplates` entry, and of each generic ephemeral volume's claim template.
/// Allows: any claim when the class sets no `storageClasses`; otherwise a listed name. A claim without one gets
/// the cluster's default class, allowed only when the policy names it (`defaultStorageClass`) and the class lists
/// it; `""` (no class: any pre-provisioned volume) only when the class lists `""`.
enum StorageClassCheck {
    /// One claim to judge, with how messages name it.
    struct Claim {
        var storageClassName: String?
        var path: String
        var holder: String
    }

    /// The storage class a claim ends up with: its own, or the cluster default the policy names.
    static func effectiveClass(_ name: String?, policy: PolicyDocument) -> String? {
        name ?? policy.defaultStorageClass
    }

    /// `subject` is built only for a finding: most pods have no claim, and building it quotes the object's name.
    static func check(
        _ claims: [Claim], subject: @autoclosure () -> String, in dataClass: DataClass, policy: PolicyDocument
    )
        -> [Finding]
    {
        guard let allowed = dataClass.storageClasses else { return [] }
        var listed: String { allowed.isEmpty ? "no storage class" : "only " + allowed.joined(separator: ", ") }
        var className: String { dataClass.name.quotedForMessage }
        return claims.compactMap { claim in
            let effective = effectiveClass(claim.storageClassName, policy: policy)
            if let effective, allowed.contains(effective) { return nil }
            let what: String
            switch (claim.storageClassName, effective) {
            case (nil, let name?):
                what = "sets no storageClassName, so it gets the cluster default \(name.quotedForMessage)"
            case (nil, nil):
                what = "sets no storageClassName, so it gets the cluster default, which the policy does not name"
            case ("", _): what = "sets storageClassName \"\" (any pre-provisioned volume without a class)"
            case (let name?, _): what = "uses storage class \(name.quotedForMessage)"
            }
            return Finding(
                rule: .storageClass, path: claim.path,
                message:
                    "\(subject()): \(claim.holder) (\(claim.path)) \(what); class \(className) allows \(listed);"
                    + " set storageClassName to one of them")
        }
    }

    /// The claims of a pod or workload: generic ephemeral volumes, and a StatefulSet's claim templates.
    static func claims(_ pod: PodUnderReview, templates: [ClaimTemplate]) -> [Claim] {
        let ephemeral = pod.spec.volumes.compactMap { volume in
            volume.ephemeral.map {
                Claim(
                    storageClassName: $0.storageClassName,
                    path:
                        "\(pod.specPath).volumes[\(volume.index)].ephemeral.volumeClaimTemplate.spec.storageClassName",
                    holder: "ephemeral volume \(volume.name.quotedForMessage)")
            }
        }
        let stateful = templates.enumerated().map { index, template in
            Claim(
                storageClassName: template.storageClassName,
                path: "spec.volumeClaimTemplates[\(index)].spec.storageClassName",
                holder: "volume claim template \(template.name.quotedForMessage)")
        }
        return ephemeral + stateful
    }
}
