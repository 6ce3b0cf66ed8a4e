/// A pod volume: its source type (for the volume-type rule), and what the checks read of the sources that bring
/// an artifact or data into the pod: an image volume (`image.reference`, Kubernetes' ImageVolume), an inline CSI
/// volume (`csi`, whose driver may pull images) and a generic ephemeral volume (`ephemeral`, whose claim template
/// names a storage class). Other sources' contents are skipped by the decoder.
public struct Volume: Sendable, Equatable {
    /// An inline CSI volume: the driver and its attributes, which for image-pulling drivers name the image.
    public struct CSISource: Sendable, Equatable {
        public var driver: String
        public var volumeAttributes: [String: String]

        public init(driver: String, volumeAttributes: [String: String] = [:]) {
            self.driver = driver
            self.volumeAttributes = volumeAttributes
        }
    }

    public var name: String
    /// Position in `volumes`, for the JSON paths in messages (skipped volumes still count).
    public var index: Int
    /// `image.reference` of an image volume; "" when the image source sets none (the API allows that, so
    /// that a controller can fill it in, but a pod without one cannot be judged). nil: not an image volume.
    public var imageReference: String?
    public var csi: CSISource?
    /// The source member (`hostPath`, `nfs`, `persistentVolumeClaim`, …), as Kubernetes names it; "" when the
    /// volume names none Kubernetes knows (the API server refuses such a pod; `evaluate` may still see one).
    public var source: String
    /// A generic ephemeral volume's claim template: the storage class its PersistentVolumeClaim will use.
    public var ephemeral: ClaimTemplate?

    public init(
        name: String, index: Int, imageReference: String? = nil, csi: CSISource? = nil, source: String = "",
        ephemeral: ClaimTemplate? = nil
    ) {
        self.name = name
        self.index = index
        self.imageReference = imageReference
        self.csi = csi
        self.source = source
        self.ephemeral = ephemeral
    }

    /// Every volume source of core/v1 `Volume`, as keys the reader matches without building a string.
    static let sourceKeys: [StaticString] = [
        "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "configMap", "csi", "downwardAPI",
        "emptyDir", "ephemeral", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo", "glusterfs",
        "hostPath", "image", "iscsi", "nfs", "persistentVolumeClaim", "photonPersistentDisk", "portworxVolume",
        "projected", "quobyte", "rbd", "scaleIO", "secret", "storageos", "vsphereVolume",
    ]

    /// The same names as strings, built once, so a volume's `source` is a shared constant rather than a copy
    /// of the key per volume per request.
    public static let sourceTypes: [String] = sourceKeys.map { "\($0)" }
}

/// A PersistentVolumeClaim template (StatefulSet `volumeClaimTemplates`, a generic ephemeral volume): its name
/// and storage class.
public struct ClaimTemplate: Sendable, Equatable {
    public var name: String
    /// `spec.storageClassName`; nil when absent (the cluster's default class), "" for "no class" (binds only
    /// to a pre-provisioned volume without one).
    public var storageClassName: String?

    public init(name: String, storageClassName: String? = nil) {
        self.name = name
        self.storageClassName = storageClassName
    }
}
