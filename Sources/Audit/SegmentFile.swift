import Foundation

/// The append handle of the current segment. A protocol only so tests can inject the failures
/// a real disk produces (ENOSPC, EIO) at the exact call that would see them.
protocol SegmentFile: AnyObject {
    /// Bytes in the file, as this handle has written them.
    var size: Int64 { get }
    /// Writes all of `bytes` at the end of the file.
    func append(_ bytes: [UInt8]) throws(AuditError)
    /// `fdatasync`: returns once the appended bytes are on stable storage.
    func sync() throws(AuditError)
    /// Cuts the file back to `size`: used only to remove a failed, unacknowledged batch.
    func truncate(to size: Int64) throws(AuditError)
    /// Throws unless the open file is still the one at its path: not deleted, not replaced, its directory
    /// not removed. Writing into a deleted file would lose every line "written" from then on.
    func checkInPlace() throws(AuditError)
    func close()
}

/// A segment opened `O_APPEND`, so no write can land anywhere but the end.
final class PosixSegmentFile: SegmentFile {
    private var fd: Int32
    let path: String
    private(set) var size: Int64

    init(path: String) throws(AuditError) {
        self.path = path
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            throw AuditError("cannot open audit segment \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw AuditError("cannot stat audit segment \(path): \(reason)")
        }
        size = Int64(info.st_size)
    }

    deinit { close() }

    func append(_ bytes: [UInt8]) throws(AuditError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AuditError("writing audit segment \(path): \(String(cString: strerror(errno)))", errno: errno)
            }
            offset += n
            size += Int64(n)
        }
    }

    func sync() throws(AuditError) {
        while fdatasync(fd) != 0 {
            if errno == EINTR { continue }
            throw AuditError("syncing audit segment \(path): \(String(cString: strerror(errno)))", errno: errno)
        }
    }

    func truncate(to newSize: Int64) throws(AuditError) {
        guard ftruncate(fd, off_t(newSize)) == 0 else {
            throw AuditError("removing a failed write from \(path): \(String(cString: strerror(errno)))")
        }
        size = newSize
    }

    func checkInPlace() throws(AuditError) {
        var open = stat()
        guard fstat(fd, &open) == 0 else {
            throw AuditError("cannot stat audit segment \(path): \(String(cString: strerror(errno)))")
        }
        guard open.st_nlink > 0 else {
            throw AuditError("audit segment \(path) was deleted (or its directory was) while open")
        }
        var named = stat()
        guard stat(path, &named) == 0 else {
            throw AuditError(
                "audit segment \(path) is no longer at its path (\(String(cString: strerror(errno)))): the file "
                    + "or its directory was moved")
        }
        guard named.st_ino == open.st_ino, named.st_dev == open.st_dev else {
            throw AuditError("audit segment \(path) was replaced by another file")
        }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}

/// Small file-system helpers the writer needs around segments.
enum FileSystem {
    /// Makes a rename, creation or deletion in `directory` durable. Throws when that cannot be known: a new
    /// segment whose directory entry may vanish in a crash must not receive lines that are acknowledged.
    static func syncDirectory(_ directory: String) throws(AuditError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw AuditError(
                "opening directory \(directory) to sync it: \(String(cString: strerror(errno)))", errno: errno)
        }
        defer { close(fd) }
        while fsync(fd) != 0 {
            if errno == EINTR { continue }
            throw AuditError("syncing directory \(directory): \(String(cString: strerror(errno)))", errno: errno)
        }
    }

    static func createDirectory(_ path: String) throws(AuditError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o750])
        } catch {
            throw AuditError("cannot create audit directory \(path): \(error.localizedDescription)")
        }
    }

    /// Writes a new file and makes it durable (quarantined bytes, keys).
    static func writeDurably(_ bytes: [UInt8], to path: String, mode: mode_t = 0o640) throws(AuditError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw AuditError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AuditError("writing \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        guard fsync(fd) == 0 else { throw AuditError("syncing \(path): \(String(cString: strerror(errno)))") }
    }
}
