import Audit
import Foundation
import PortcullisCrypto

/// Compares the Portcullis log with the API server's audit log, the record kept off the node.
///
/// Every durable decision is anchored in its admission response (`AuditAnchor`: chain, seq, line hash, signed
/// root), and the API server writes those annotations into its own event. So each event names the exact line
/// that answered it, and each line inside the API server log's time span should be named by an event. The
/// API server log is read first (its anchors are kept in memory, one entry per anchored request); the
/// Portcullis log then streams past once.
public struct AuditReconciler: Sendable {
    public var regulated: RegulatedNamespaces

    public init(regulated: RegulatedNamespaces) { self.regulated = regulated }

    /// An API server event that anchors a line, and where it is.
    private struct AnchoredEvent {
        var anchor: AuditAnchor
        var webhook: String
        var auditID: String
        var subject: String
        var location: String
        /// Set once the log's line matched, so the checkpoint after it can be compared next.
        var matched = false
    }

    /// The members of a log line reconcile reads; `seq` and `type` come from the positional prefix.
    private struct LineFacts: Decodable {
        var time: String?
        var chain: String?
        var uid: String?
        var operation: String?
        var namespace: String?
        var name: String?
        var generateName: String?
        var user: String?
        var note: String?
    }

    /// - Throws: `AuditError` for an unreadable file or a line that is not an Event (named by file and line).
    public func reconcile(apiServerAudit: [String], logPaths: [String]) throws -> Reconciliation {
        var result = Reconciliation()
        var anchored: [String: [UInt64: AnchoredEvent]] = [:]
        try readAPIServerLog(apiServerAudit, into: &result, anchored: &anchored)
        try readPortcullisLog(logPaths, into: &result, anchored: &anchored)
        for (chain, events) in anchored.sorted(by: { $0.key < $1.key }) {
            let last = result.chains.first { $0.chain == chain }
            for (seq, event) in events.sorted(by: { $0.key < $1.key }) where !event.matched {
                let why =
                    last == nil
                    ? "chain \(chain) is not in the given log (deleted, or its directory was not given)"
                    : "the log holds no line with this seq: deleted, or rolled back and cut"
                result.findings.append(
                    .init(
                        cause: .missing, chain: chain, seq: seq, location: event.location,
                        message: "the API server's event \(event.auditID) (\(event.subject), webhook \(event.webhook)) "
                            + "was answered by this line; \(why)"))
            }
        }
        return result
    }

    // MARK: The API server's log

    private func readAPIServerLog(
        _ paths: [String], into result: inout Reconciliation, anchored: inout [String: [UInt64: AnchoredEvent]]
    ) throws {
        var requests = Set<String>()
        var unanchored = Set<String>()
        var failedCalls = Set<String>()
        var first: String?
        var last: String?
        try APIServerAuditLog.forEachEvent(
            in: paths,
            { event, file, line in
                requests.insert(event.auditID)
                let received = Self.normalized(event.requestReceivedTimestamp)
                let written = Self.normalized(event.stageTimestamp)
                if first.map({ received < $0 }) ?? true { first = received }
                if last.map({ written > $0 }) ?? true { last = written }
                let location = "\(file):\(line)"
                var portcullis = false
                for (webhook, annotations) in event.annotationsByPrefix {
                    let anchorKeys = AuditAnchor.Key.all.filter { annotations[$0] != nil }
                    portcullis = portcullis || !anchorKeys.isEmpty || annotations["policy-sha256"] != nil
                    guard !anchorKeys.isEmpty else {
                        if annotations["policy-sha256"] != nil { unanchored.insert(event.auditID) }
                        continue
                    }
                    let anchor: AuditAnchor
                    do { anchor = try AuditAnchor(annotations: annotations) } catch {
                        result.findings.append(
                            .init(
                                cause: .unreadableAnchor, location: location,
                                message: "event \(event.auditID) (\(event.subject)): webhook \(webhook)'s anchor: "
                                    + "\(error)"))
                        continue
                    }
                    // One request has an event per stage; the first one seen stands for them all.
                    if anchored[anchor.chain]?[anchor.seq] == nil {
                        anchored[anchor.chain, default: [:]][anchor.seq] = AnchoredEvent(
                            anchor: anchor, webhook: webhook, auditID: event.auditID, subject: event.subject,
                            location: location)
                    }
                }
                guard event.stage == "ResponseComplete" else { return }
                if event.responseStatus?.message?.contains("failed calling webhook") == true {
                    failedCalls.insert(event.auditID)
                }
                if !portcullis, let finding = bypass(event, at: location) { result.findings.append(finding) }
            },
            oversized: { file, line, _ in result.oversizedEvents.append("\(file):\(line)") })
        result.requests = requests.count
        result.unanchoredRequests = unanchored.count
        result.failedWebhookCalls = failedCalls.count
        if let first, let last { result.window = first...max(first, last) }
    }

    /// A pod created (not a dry run, a 2xx answer) in a regulated namespace whose event has no Portcullis
    /// annotation at all: the webhook was never asked, or its call failed and `failurePolicy: Ignore` let it in.
    private func bypass(_ event: APIServerAuditEvent, at location: String) -> Reconciliation.Finding? {
        guard event.verb == "create", event.objectRef?.resource == "pods", event.objectRef?.subresource == nil,
            let code = event.responseStatus?.code, (200..<300).contains(code), !event.isDryRun,
            let namespace = event.objectRef?.namespace, let dataClass = regulated.regulatingClass(of: namespace)
        else { return nil }
        let failedOpen = (event.annotations ?? [:]).filter { $0.key.hasPrefix("failed-open.") }.map(\.value).sorted()
        let how =
            failedOpen.isEmpty
            ? "no webhook of Portcullis was called (check the ValidatingWebhookConfiguration's namespaceSelector "
                + "and the namespace's label)"
            : "the call to webhook \(failedOpen.joined(separator: ", ")) failed and failurePolicy Ignore admitted it"
        return .init(
            cause: .bypassed, location: location,
            message: "event \(event.auditID): \(event.subject) by \(event.user?.username ?? "(unknown user)") "
                + "was created (HTTP \(event.responseStatus?.code ?? 0)) in namespace \(namespace), class "
                + "\(dataClass), with no Portcullis annotation: \(how)")
    }

    /// Event timestamps as the fixed-width UTC text the Portcullis log writes (the API server already writes
    /// that form; other RFC 3339 forms are converted), so the two compare as text.
    static func normalized(_ timestamp: String) -> String {
        if timestamp.utf8.count == 27, timestamp.hasSuffix("Z") { return timestamp }
        return RFC3339.parse(timestamp).map(RFC3339.format) ?? timestamp
    }

    // MARK: The Portcullis log

    private func readPortcullisLog(
        _ paths: [String], into result: inout Reconciliation, anchored: inout [String: [UInt64: AnchoredEvent]]
    ) throws {
        let decoder = JSONDecoder()
        let hasher = SHA256()
        var chains: [String: Reconciliation.Chain] = [:]
        for (_, segments) in try AuditLogFiles.resolve(paths) {
            // Lines matched since the last checkpoint: the next checkpoint is the one their anchors name.
            var awaitingCheckpoint: [(chain: String, seq: UInt64)] = []
            for segment in segments {
                let reader = try LineReader(path: segment.path, compressed: segment.compressed)
                var number = 0
                _ = try reader.forEachLine(
                    { bytes in
                        number += 1
                        guard let prefix = AuditLineFormat.parsePrefix(bytes) else { return true }
                        let facts = try? decoder.decode(LineFacts.self, from: Data(bytes))
                        guard let chain = facts?.chain else { return true }
                        let location = "\(segment.path):\(number)"
                        if prefix.type == .checkpoint {
                            compare(
                                checkpoint: facts?.note, at: location, awaiting: &awaitingCheckpoint,
                                anchored: &anchored, into: &result)
                        }
                        var summary = chains[chain] ?? Reconciliation.Chain(chain: chain)
                        defer { chains[chain] = summary }
                        if var event = anchored[chain]?[prefix.seq] {
                            let hash = hasher.digest(bytes)
                            guard hash == event.anchor.lineSHA256 else {
                                result.findings.append(
                                    .init(
                                        cause: .differs, chain: chain, seq: prefix.seq, location: location,
                                        message: "the API server's event \(event.auditID) at \(event.location) "
                                            + "(\(event.subject)) was answered by a line with SHA-256 "
                                            + "\(event.anchor.lineSHA256.hex); this \(prefix.type.rawValue) line "
                                            + "hashes to \(hash.hex): edited, or rolled back and rewritten (a fork)"))
                                event.matched = true
                                anchored[chain]?[prefix.seq] = event
                                return true
                            }
                            event.matched = true
                            anchored[chain]?[prefix.seq] = event
                            summary.matched += 1
                            awaitingCheckpoint.append((chain, prefix.seq))
                        }
                        guard prefix.type == .decision, let time = facts?.time else { return true }
                        guard let window = result.window, window.contains(time) else {
                            result.decisionsOutsideWindow += 1
                            return true
                        }
                        summary.decisionsInWindow += 1
                        if anchored[chain]?[prefix.seq] == nil {
                            result.findings.append(unmatched(facts, chain: chain, seq: prefix.seq, at: location))
                        }
                        return true
                    }, oversized: { _ in true })
            }
        }
        for (chain, events) in anchored { chains[chain]?.anchoredEvents = events.count }
        result.chains = chains.values.sorted { $0.chain < $1.chain }
    }

    /// Each line matched since the previous checkpoint was answered with this checkpoint's tree size and root;
    /// another root means the log around the line was rewritten.
    private func compare(
        checkpoint note: String?, at location: String, awaiting: inout [(chain: String, seq: UInt64)],
        anchored: inout [String: [UInt64: AnchoredEvent]], into result: inout Reconciliation
    ) {
        defer { awaiting.removeAll() }
        guard let signed = note.flatMap({ try? CheckpointNote.parse($0) }) else { return }
        for (chain, seq) in awaiting {
            guard let event = anchored[chain]?[seq] else { continue }
            guard signed.treeSize != event.anchor.treeSize || signed.root != event.anchor.root else { continue }
            let root = { (size: UInt64, digest: SHA256Digest) in "\(size):\(Data(digest.bytes).base64EncodedString())" }
            result.findings.append(
                .init(
                    cause: .differs, chain: chain, seq: seq, location: location,
                    message: "the line matches the API server's event \(event.auditID) at \(event.location), but "
                        + "the checkpoint after it signs \(root(signed.treeSize, signed.root)) where the answer "
                        + "carried \(root(event.anchor.treeSize, event.anchor.root)): the log was rolled back and "
                        + "rewritten around it (a fork)"))
        }
    }

    /// A decision no API server event names.
    private func unmatched(_ facts: LineFacts?, chain: String, seq: UInt64, at location: String)
        -> Reconciliation.Finding
    {
        let object = [facts?.namespace, facts?.name ?? facts?.generateName].compactMap { $0 }.joined(separator: "/")
        return .init(
            cause: .noAPIServerEvent, chain: chain, seq: seq, location: location,
            message: "decision \(facts?.uid ?? "(no uid)") at \(facts?.time ?? "?") (\(facts?.operation ?? "?") "
                + "\(object.isEmpty ? "(unnamed)" : object) by \(facts?.user ?? "?")) is inside the API server "
                + "log's time span but no event anchors it: a line forged on the node, a caller other than the "
                + "API server, or a call the API server gave up on (see failed webhook calls below)")
    }
}
