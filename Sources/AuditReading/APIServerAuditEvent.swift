import Audit
import Foundation

/// One `audit.k8s.io/v1` Event as the API server's log backend writes it (one JSON object a line), reduced
/// to the members `audit reconcile` reads. Unknown members are ignored, as Kubernetes adds them over time.
public struct APIServerAuditEvent: Sendable, Decodable, Equatable {
    public struct User: Sendable, Decodable, Equatable {
        public var username: String?
    }

    public struct ObjectReference: Sendable, Decodable, Equatable {
        public var resource: String?
        public var subresource: String?
        public var namespace: String?
        public var name: String?
    }

    public struct ResponseStatus: Sendable, Decodable, Equatable {
        public var code: Int?
        public var message: String?
    }

    public var kind: String
    public var apiVersion: String
    /// One per request; the API server writes one event per stage of it, all with this ID.
    public var auditID: String
    /// `RequestReceived`, `ResponseStarted`, `ResponseComplete` or `Panic`.
    public var stage: String
    public var requestURI: String
    public var verb: String
    public var user: User?
    public var objectRef: ObjectReference?
    public var responseStatus: ResponseStatus?
    public var requestReceivedTimestamp: String
    public var stageTimestamp: String
    /// Admission webhooks' `auditAnnotations`, each key prefixed with the webhook's name and a slash.
    public var annotations: [String: String]?

    /// Annotations grouped by the prefix before the last `/` (the webhook name), keys stripped of it.
    var annotationsByPrefix: [String: [String: String]] {
        var groups: [String: [String: String]] = [:]
        for (key, value) in annotations ?? [:] {
            guard let slash = key.lastIndex(of: "/") else { continue }
            groups[String(key[..<slash]), default: [:]][String(key[key.index(after: slash)...])] = value
        }
        return groups
    }

    /// A server-side dry run (`?dryRun=All`): nothing was created, whatever the status says.
    var isDryRun: Bool {
        guard let query = requestURI.split(separator: "?", maxSplits: 1).dropFirst().first else { return false }
        return query.split(separator: "&").contains { $0.hasPrefix("dryRun=") }
    }

    /// What a person reads to find the request: verb, resource, namespace/name.
    var subject: String {
        let resource = [objectRef?.resource, objectRef?.subresource].compactMap { $0 }.joined(separator: "/")
        let object = [objectRef?.namespace, objectRef?.name].compactMap { $0 }.joined(separator: "/")
        return "\(verb) \(resource) \(object.isEmpty ? "(unnamed)" : object)"
    }
}

/// Reads the API server's audit log files (plain or gzip JSON lines) in bounded memory, naming the file and
/// line of anything that is not an Event.
enum APIServerAuditLog {
    /// Calls `body` with each event and where it is; `oversized` with each line too long to hold (a
    /// RequestResponse-level event of some other resource), which is skipped.
    static func forEachEvent(
        in paths: [String], _ body: (APIServerAuditEvent, _ file: String, _ line: Int) throws -> Void,
        oversized: (_ file: String, _ line: Int, _ length: Int64) -> Void
    ) throws {
        let decoder = JSONDecoder()
        for path in paths {
            let reader: LineReader
            do { reader = try LineReader(path: path, compressed: path.hasSuffix(".gz")) } catch {
                throw AuditError("--apiserver-audit \(error.message)")
            }
            var number = 0
            func event(_ bytes: UnsafeRawBufferPointer) throws(AuditError) -> APIServerAuditEvent? {
                number += 1
                guard bytes.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else {
                    return nil
                }
                let event: APIServerAuditEvent
                do { event = try decoder.decode(APIServerAuditEvent.self, from: Data(bytes)) } catch {
                    throw AuditError("\(path):\(number): not an audit.k8s.io/v1 Event JSON line (\(describe(error)))")
                }
                guard event.kind == "Event", event.apiVersion == "audit.k8s.io/v1" else {
                    throw AuditError(
                        "\(path):\(number): kind \(event.kind) \(event.apiVersion), expected an audit.k8s.io/v1 "
                            + "Event (the log backend's format, one event a line)")
                }
                return event
            }
            let tail = try reader.forEachLine(
                { bytes in
                    if let found = try event(bytes) { try body(found, path, number) }
                    return true
                },
                oversized: { line in
                    number += 1
                    oversized(path, number, line.length)
                    return true
                })
            // The log backend ends every event with a newline; a last line without one was cut mid-write.
            if let tail, let found = try tail.bytes.withUnsafeBytes({ bytes throws(AuditError) in try event(bytes) }) {
                try body(found, path, number)
            }
        }
    }

    /// The decoding error as a person reads it: which member, what was wrong.
    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "member \"\(key.stringValue)\" is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "member \"\(path)\" has the wrong type"
        case DecodingError.dataCorrupted: return "not valid JSON"
        default: return "\(error)"
        }
    }
}
