import Foundation

/// One file of an audit log: `<base>-<first seq, 20 digits>.jsonl`, gzip-compressed once closed
/// (`….jsonl.gz`). Naming segments by their first sequence number lets the verifier spot a
/// missing segment from the names alone and sort them without reading them.
package struct AuditSegment: Comparable {
    package var base: String
    package var firstSeq: UInt64
    package var compressed: Bool
    package var path: String

    var fileName: String { String(path.split(separator: "/").last ?? Substring(path)) }

    init(directory: String, base: String, firstSeq: UInt64, compressed: Bool) {
        self.base = base
        self.firstSeq = firstSeq
        self.compressed = compressed
        path = directory + "/" + AuditSegment.fileName(base: base, firstSeq: firstSeq, compressed: compressed)
    }

    /// A file not named like a segment, read as a whole log.
    init(rawPath: String, compressed: Bool) {
        base = rawPath
        firstSeq = 0
        self.compressed = compressed
        path = rawPath
    }

    static func fileName(base: String, firstSeq: UInt64, compressed: Bool) -> String {
        let digits = String(firstSeq)
        return base + "-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits
            + (compressed ? ".jsonl.gz" : ".jsonl")
    }

    /// Parses a segment file name; `nil` for anything else (quarantine files, temporary files).
    static func parse(fileName: String, directory: String) -> AuditSegment? {
        let compressed: Bool
        let stem: Substring
        if fileName.hasSuffix(".jsonl.gz") {
            compressed = true
            stem = fileName.dropLast(".jsonl.gz".count)
        } else if fileName.hasSuffix(".jsonl") {
            compressed = false
            stem = fileName.dropLast(".jsonl".count)
        } else {
            return nil
        }
        guard let dash = stem.lastIndex(of: "-") else { return nil }
        let digits = stem[stem.index(after: dash)...]
        guard digits.count == 20, let seq = UInt64(digits), dash > stem.startIndex else { return nil }
        return AuditSegment(directory: directory, base: String(stem[..<dash]), firstSeq: seq, compressed: compressed)
    }

    /// The segments of every log in `directory`, grouped by base name, each group in sequence order.
    /// When a crash left both a segment and its compressed copy, the plain file is the one used.
    static func list(directory: String) throws(AuditError) -> [String: [AuditSegment]] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw AuditError("cannot list audit directory \(directory): \(error.localizedDescription)")
        }
        var groups: [String: [AuditSegment]] = [:]
        for segment in names.compactMap({ parse(fileName: $0, directory: directory) }) {
            groups[segment.base, default: []].append(segment)
        }
        return groups.mapValues(deduplicated)
    }

    /// Sorts by first sequence number, keeping the plain file where both forms exist.
    static func deduplicated(_ segments: [AuditSegment]) -> [AuditSegment] {
        var bySeq: [UInt64: AuditSegment] = [:]
        for segment in segments {
            if let existing = bySeq[segment.firstSeq], !existing.compressed { continue }
            bySeq[segment.firstSeq] = segment
        }
        return bySeq.values.sorted()
    }

    package static func < (lhs: AuditSegment, rhs: AuditSegment) -> Bool {
        (lhs.firstSeq, lhs.compressed ? 1 : 0) < (rhs.firstSeq, rhs.compressed ? 1 : 0)
    }
}
