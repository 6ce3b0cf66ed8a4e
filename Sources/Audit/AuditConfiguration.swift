import Foundation

/// Where and how the `AuditWriter` writes: segment naming, rotation, retention. (Checkpoints have no
/// cadence to set: every group commit ends with one.)
public struct AuditConfiguration: Sendable {
    /// Directory holding the segments (created if missing) and the `quarantine/` subdirectory.
    public var directory: String
    /// Segment base name: segments are `<fileName>-<first seq>.jsonl[.gz]`. One writer per base name.
    public var fileName: String
    /// Written on every line: which writer (pod or host) produced it.
    public var chainID: String
    /// Checkpoint origin and signing key name (a C2SP note name: no spaces, no `+`).
    public var origin: String
    /// Start a new segment once the current one reaches this size…
    public var rotateBytes: Int64
    /// …or this age (measured from its first line's time).
    public var rotateAge: TimeInterval
    /// Segments to keep, including the current one; older ones are deleted. 0 keeps everything.
    public var retainSegments: Int
    /// Copy every durable line to standard output, for the cluster's log pipeline.
    public var mirrorToStdout: Bool
    /// While unhealthy, retry a write this often so the writer recovers without traffic.
    public var retryInterval: TimeInterval

    /// How long `AuditWriter.close()` waits for the last batch before giving up (a hung disk must not hang
    /// shutdown past the pod's grace period).
    public var closeTimeout: TimeInterval = 10

    /// Opens a segment for appending. A seam so tests can make writes fail like a full disk.
    var openSegment: @Sendable (String) throws(AuditError) -> any SegmentFile = { path throws(AuditError) in
        try PosixSegmentFile(path: path)
    }

    /// Makes changes to a directory's entries durable. A seam so tests can make it fail like a broken disk.
    var syncDirectory: @Sendable (String) throws(AuditError) -> Void = { path throws(AuditError) in
        try FileSystem.syncDirectory(path)
    }

    public init(
        directory: String, fileName: String = "audit", chainID: String = ProcessInfo.processInfo.hostName,
        origin: String? = nil, rotateBytes: Int64 = 64 << 20, rotateAge: TimeInterval = 24 * 3600,
        retainSegments: Int = 0,
        mirrorToStdout: Bool = false, retryInterval: TimeInterval = 1
    ) {
        self.directory = directory
        self.fileName = fileName
        self.chainID = chainID
        self.origin = origin ?? "portcullis.audit/\(chainID)"
        self.rotateBytes = rotateBytes
        self.rotateAge = rotateAge
        self.retainSegments = retainSegments
        self.mirrorToStdout = mirrorToStdout
        self.retryInterval = retryInterval
    }

    func validated() throws(AuditError) -> AuditConfiguration {
        guard !origin.isEmpty, !origin.contains(where: { $0.isWhitespace || $0 == "+" }) else {
            throw AuditError(
                "audit origin \"\(origin)\" must be non-empty with no spaces or '+' (a signed-note key name)")
        }
        guard !chainID.isEmpty, chainID.utf8.count <= AuditLineFormat.maximumChainIDBytes else {
            throw AuditError(
                "audit chain ID \"\(chainID)\" must be 1 to \(AuditLineFormat.maximumChainIDBytes) bytes (a pod or host name)"
            )
        }
        guard !fileName.isEmpty, !fileName.contains("/") else {
            throw AuditError("audit file name \"\(fileName)\" must be a plain name without '/'")
        }
        guard rotateBytes > 0, rotateAge > 0, retainSegments >= 0, retryInterval > 0 else {
            throw AuditError("audit rotation, retention and retry settings must be positive")
        }
        return self
    }
}
