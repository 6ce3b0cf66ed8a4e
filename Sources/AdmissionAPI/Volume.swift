/// A pod volume, kept only when its source can bring an artifact into the pod: an image volume
/// (`image.reference`, Kubernetes' ImageVolume) or an inline CSI volume (`csi`), whose driver may pull
/// images. Other sources (emptyDir, configMap, persistentVolumeClaim, …) are skipped by the decoder.
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

    public init(name: String, index: Int, imageReference: String? = nil, csi: CSISource? = nil) {
        self.name = name
        self.index = index
        self.imageReference = imageReference
        self.csi = csi
    }
}
