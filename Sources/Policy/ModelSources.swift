/// A class's allowed model sources for URIs (KServe `storageUri`): where weights may be loaded from when they are
/// not an image. `oci://` models are images and follow the image rules instead.
public struct ModelSources: Sendable, Equatable {
    /// URI prefixes (`s3://bucket/path/`, `hf://org`, `pvc://claim`), matched at a path-segment boundary.
    public var sources: [String]
    /// Models must name an immutable version: `hf://org/model@<40-hex commit>`, `s3://…?versionId=…`,
    /// `gs://…#<generation>`. `pvc://` and `https://` cannot be pinned and are then denied.
    public var requirePinned: Bool

    public init(sources: [String], requirePinned: Bool = false) {
        self.sources = sources
        self.requirePinned = requirePinned
    }

    /// The URI schemes a model source may use besides `oci://`.
    public static let schemes = ["s3", "gs", "hf", "pvc", "https"]
}
