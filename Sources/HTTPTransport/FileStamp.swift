#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The identity of what a path resolves to right now: device, inode, size and modification time.
///
/// Mounted Secrets and ConfigMaps change by swapping a `..data` symlink, and cert-manager rewrites
/// files in place; stat(2) follows the symlink, so either shows up as a new stamp. Cheaper and more
/// robust than inotify on a path whose parent directory is replaced.
public struct FileStamp: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modifiedSeconds: Int
    public var modifiedNanos: Int

    /// The stamp of `path`, or nil when it cannot be stat'ed (missing, no permission).
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modifiedSeconds = Int(info.st_mtim.tv_sec)
        modifiedNanos = Int(info.st_mtim.tv_nsec)
    }
}
