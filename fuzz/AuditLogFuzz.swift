// libFuzzer entry point for the audit line reader and chain verifier (`portcullis audit verify`), which reads
// segments from a node an attacker may control. Built by fuzz/run.sh with Audit's sources, linked to the package
// build of its dependencies (OpenSSL through PortcullisCrypto, zlib through Compression, swift-log).
import Foundation
import Logging
import PortcullisCrypto

/// A genuine log, written once per process by the real `AuditWriter`: twelve decisions in three batches, each
/// batch checkpointed, closed with a final checkpoint. The key is fresh per process, so the fuzz input is not a
/// log but edits to this one (an empty input is the genuine log itself).
private struct Genuine {
    let key: Ed25519PrivateKey
    let bytes: [UInt8]
    let segmentName: String
    /// The last checkpoint, as a reviewer keeps it: a truncated log still ending on an older checkpoint is caught.
    let head: String
    let scratch: String

    init() {
        scratch = "/dev/shm/portcullis-audit-fuzz-\(getpid())"
        let directory = scratch + "/genuine"
        try? FileManager.default.removeItem(atPath: scratch)
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        key = try! Ed25519PrivateKey.generate()
        let writer = try! AuditWriter(
            configuration: AuditConfiguration(directory: directory, chainID: "fuzz", origin: "portcullis.fuzz/audit"),
            signingKey: key, clock: { Date(timeIntervalSince1970: 1_800_000_000) },
            logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
        for batch in 0..<3 {
            _ = try! writer.append(
                batch: (0..<4).map { (offset: Int) -> PendingLine in
                    let index = batch * 4 + offset
                    let record = AuditRecord(
                        uid: "uid-\(index)", operation: "CREATE", kind: .init(group: "", version: "v1", kind: "Pod"),
                        resource: "pods", namespace: "team-a", name: "pod-\(index)", user: "alice",
                        decision: index % 3 == 0 ? .denied : .allowed, mode: "enforce",
                        policySHA256: String(repeating: "ab", count: 32))
                    return PendingLine(type: .decision, members: record.encodedMembers())
                })
        }
        precondition(writer.close(), "the writer did not close")
        let names = try! FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".jsonl") }
        precondition(names.count == 1, "expected one segment, found \(names)")
        segmentName = names[0]
        bytes = [UInt8](FileManager.default.contents(atPath: directory + "/" + names[0])!)
        let report = try! AuditVerifier(key: key.publicKey, requireSealed: true).verify(paths: [directory])[0]
        precondition(report.isIntact && report.checkpoints >= 3, "the genuine log does not verify")
        head = report.head!
    }
}

private let genuine = Genuine()

/// Edits, four header bytes each (operation, position high, position low, length), then for overwrite and insert
/// `length` bytes of data: overwrite, insert, delete, truncate at the position, or swap two lines.
private func edited(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
    var log = genuine.bytes
    var index = 0
    while index + 4 <= input.count {
        let operation = input[index] % 5
        let position = (Int(input[index + 1]) << 8 | Int(input[index + 2])) % (log.count + 1)
        let length = Int(input[index + 3])
        index += 4
        let data = Array(input[index..<min(input.count, index + length)])
        switch operation {
        case 0:
            index += data.count
            let end = min(log.count, position + data.count)
            log.replaceSubrange(position..<end, with: data)
        case 1:
            index += data.count
            log.insert(contentsOf: data, at: position)
        case 2: log.removeSubrange(position..<min(log.count, position + length))
        case 3: log.removeSubrange(position...)
        default:
            var lines = log.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
            guard lines.count > 1 else { continue }
            lines.swapAt(position % lines.count, length % lines.count)
            log = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
        }
    }
    return log
}

/// Besides "never crash, hang or overrun": whatever the edits, the verifier (with the reviewer's key, a sealed log
/// required and the last checkpoint known) reports the log intact exactly when its bytes are the genuine ones.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let candidate = edited(UnsafeBufferPointer(start: data, count: size))
    let directory = genuine.scratch + "/candidate"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    precondition(
        FileManager.default.createFile(atPath: directory + "/" + genuine.segmentName, contents: Data(candidate)))
    let verifier = AuditVerifier(key: genuine.key.publicKey, requireSealed: true, externalCheckpoint: genuine.head)
    guard let reports = try? verifier.verify(paths: [directory]) else { return 0 }
    let intact = reports.count == 1 && reports[0].isIntact
    // Every byte is covered, the final checkpoint line's too (its note signs the line's bytes before the note).
    if intact ? candidate != genuine.bytes : candidate == genuine.bytes {
        // Printed before stopping: an optimised build drops a precondition's message.
        let findings = reports.map { $0.finding.map(String.init(describing:)) ?? "intact" }
        fputs(
            intact
                ? "an edited log reported intact:\n\(String(decoding: candidate, as: UTF8.self))\n"
                : "the genuine log reported as \(findings)\n", stderr)
        abort()
    }
    return 0
}
