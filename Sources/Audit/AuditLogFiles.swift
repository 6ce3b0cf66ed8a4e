import Foundation

/// Turns command-line paths (segment files or directories) into logs: segments grouped by base
/// name and sorted by first sequence number.
package enum AuditLogFiles {
    package static func resolve(_ paths: [String]) throws(AuditError) -> [(String, [AuditSegment])] {
        var groups: [String: [AuditSegment]] = [:]
        for given in paths {
            let path = given.count > 1 && given.hasSuffix("/") ? String(given.dropLast()) : given
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw AuditError("\(path) does not exist")
            }
            if isDirectory.boolValue {
                for (base, segments) in try AuditSegment.list(directory: path) {
                    groups[path + "/" + base, default: []] += segments
                }
            } else {
                let url = URL(fileURLWithPath: path)
                let directory = url.deletingLastPathComponent().path
                if let segment = AuditSegment.parse(fileName: url.lastPathComponent, directory: directory) {
                    groups[directory + "/" + segment.base, default: []].append(segment)
                } else {
                    // A file not named like a segment (a copy, an export) is read as a log of its own.
                    let compressed = path.hasSuffix(".gz")
                    groups[path] = [AuditSegment(rawPath: path, compressed: compressed)]
                }
            }
        }
        guard !groups.isEmpty else { throw AuditError("no audit segments found in \(paths.joined(separator: ", "))") }
        return groups.keys.sorted().map { ($0, AuditSegment.deduplicated(groups[$0]!)) }
    }
}
