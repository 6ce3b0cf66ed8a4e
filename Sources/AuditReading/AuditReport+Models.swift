import Audit

extension AuditReport {
    /// An artifact pods mounted as a volume (a model, a dataset) and was admitted with: one row per reference,
    /// digest and signer, so a model re-signed by someone else or pushed under a new digest is a new row.
    public struct ModelRow: Sendable, Encodable, Equatable {
        public var reference: String
        public var digest: String?
        public var authority: String?
        /// A keyless signer's subject; nil for key-based signatures (``authority`` names the key's owner).
        public var signer: String?
        /// The volume names it was mounted as, sorted.
        public var volumes: [String]
        /// The classes it was admitted in, sorted.
        public var classes: [String]
        public var firstAdmitted: String
        public var lastAdmitted: String
        public var count: Int
    }
}

/// The running tally behind ``AuditReport/modelsAdmitted``, bounded like every other breakdown: at most
/// `capacity` distinct artifacts, later new ones counted in ``overflow``.
struct ModelTally {
    private struct Key: Hashable {
        var reference: String
        var digest: String?
        var authority: String?
        var signer: String?
    }

    private struct Seen {
        var volumes: Set<String> = []
        var classes: Set<String> = []
        var first: String
        var last: String
        var count = 0
    }

    let capacity: Int
    private var rows: [Key: Seen] = [:]
    private(set) var overflow = 0

    init(capacity: Int = 10_000) { self.capacity = capacity }

    /// Counts the volume images of one admitted decision; container images are not models.
    mutating func add(_ images: [AuditRecord.Image], time: String, dataClass: String?) {
        for image in images {
            guard let volume = image.volume else { continue }
            let key = Key(
                reference: image.reference, digest: image.digest, authority: image.authority, signer: image.subject)
            guard rows[key] != nil || rows.count < capacity else {
                overflow += 1
                continue
            }
            var seen = rows[key] ?? Seen(first: time, last: time)
            seen.volumes.insert(volume)
            if let dataClass, seen.classes.count < 64 { seen.classes.insert(dataClass) }
            seen.first = min(seen.first, time)
            seen.last = max(seen.last, time)
            seen.count += 1
            rows[key] = seen
        }
    }

    /// The `n` most admitted artifacts, most first (ties by reference).
    func top(_ n: Int) -> [AuditReport.ModelRow] {
        rows.map { key, seen in
            AuditReport.ModelRow(
                reference: key.reference, digest: key.digest, authority: key.authority, signer: key.signer,
                volumes: seen.volumes.sorted(), classes: seen.classes.sorted(), firstAdmitted: seen.first,
                lastAdmitted: seen.last, count: seen.count)
        }
        .sorted { ($0.count, $1.reference, $1.digest ?? "") > ($1.count, $0.reference, $0.digest ?? "") }
        .prefix(n).map { $0 }
    }
}
