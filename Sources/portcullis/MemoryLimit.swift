import ArgumentParser
import Foundation

/// The memory the server may use, and the request-byte budget that follows from it.
///
/// Connections buffer request bodies until the handler has them; all connections together may hold at most
/// `--max-buffered-bytes`. A fixed 256 MiB budget equals the shipped pod's 256 Mi limit, so a burst of large
/// bodies was an OOM kill. The budget is therefore derived from the container's limit (cgroup v2
/// `memory.max`, or v1 `memory.limit_in_bytes`): what is left after a baseline for the binary, threads and
/// caches, divided by three, because a buffered body costs about one and a half times its size in RSS at peak
/// (parser buffer plus the decoded request) and the rest is headroom. Measured in `FaultLiveTests`.
struct MemoryLimit {
    /// Resident memory of an idle server with its policy, caches and a few hundred connection threads.
    static let baseline = 64 * 1024 * 1024
    static let defaultBudget = 256 * 1024 * 1024

    /// The budget for `limit` bytes of memory (nil: unknown or unlimited), never below one full request.
    static func budget(limit: Int?, smallest: Int) -> Int {
        guard let limit else { return defaultBudget }
        return max(smallest, min(defaultBudget, (limit - baseline) / 3))
    }

    /// The cgroup's memory limit, or nil when there is none (`max`) or no cgroup file is readable.
    static func fromCgroup(root: String = "/sys/fs/cgroup") -> Int? {
        for file in ["memory.max", "memory/memory.limit_in_bytes"] {
            guard let text = try? String(contentsOfFile: root + "/" + file, encoding: .utf8) else { continue }
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            // cgroup v1 writes "no limit" as a huge page-aligned number.
            if let bytes = Int(value), bytes < 1 << 60 { return bytes }
            return nil
        }
        return nil
    }
}

/// A byte count as Kubernetes writes quantities: `268435456`, `256Mi`, `1Gi`, `500M`.
struct ByteSize: ExpressibleByArgument {
    let bytes: Int

    init?(argument: String) {
        let units: [(String, Int)] = [
            ("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("k", 1000), ("M", 1_000_000), ("G", 1_000_000_000),
        ]
        let (digits, factor) =
            units.first { argument.hasSuffix($0.0) }.map { (String(argument.dropLast($0.0.count)), $0.1) }
            ?? (argument, 1)
        guard let value = Int(digits), value > 0, value <= Int.max / factor else { return nil }
        bytes = value * factor
    }
}
