import Foundation
import PortcullisCrypto

/// The keyless trust material: Fulcio certificate authorities, Rekor transparency-log keys (v1 and v2) and RFC 3161
/// timestamp authorities, each with the period it may vouch for.
///
/// Always read from a file the operator mounted (sigstore's `trusted_root.json`, or PEM files); Portcullis never
/// fetches it, so an air-gapped cluster verifies keyless signatures exactly like a connected one. docs/KEYLESS.md
/// says how to refresh the file from an online machine.
public struct TrustedRoot: Sendable {
    /// One Fulcio CA, or one timestamp authority: its certificates from the issuing certificate up to the
    /// self-signed root (last).
    public struct CertificateAuthority: Sendable {
        public let certificates: [Certificate]
        /// UNIX seconds; certificates issued outside this window do not count, even if the chain is otherwise valid.
        public let validFrom: Int
        public let validUntil: Int?

        public var root: Certificate { certificates[certificates.count - 1] }

        func isValid(at time: Int) -> Bool { time >= validFrom && validUntil.map { time <= $0 } ?? true }
    }

    /// One Rekor log: the key that signs its SignedEntryTimestamps and checkpoints, and the IDs entries name it by.
    public struct TransparencyLog: Sendable {
        public let key: PublicKey
        /// Lower-case hex SHA-256 of the key's DER SubjectPublicKeyInfo, as Rekor v1 writes `logID`.
        public let logID: String
        public let validFrom: Int
        public let validUntil: Int?
        /// The name its checkpoints are signed under: the host (and path) of `baseUrl`, e.g.
        /// `log2025-1.rekor.sigstore.dev`. `nil` for a key loaded from a PEM file, whose checkpoints are then
        /// matched by key alone.
        public let origin: String?
        /// Other lower-case hex IDs that name this log: the trusted root's own `logId.keyId`, and for a Rekor v2
        /// (Ed25519) log its checkpoint key ID SHA-256(origin ‖ 0x0A ‖ 0x01 ‖ key), which v2 bundles name it by.
        let otherIDs: Set<String>

        init(key: PublicKey, validFrom: Int, validUntil: Int?, origin: String? = nil, declaredID: String? = nil) {
            self.key = key
            self.logID = TrustedRoot.logID(of: key)
            self.validFrom = validFrom
            self.validUntil = validUntil
            self.origin = origin
            var ids = Set([declaredID].compactMap { $0 })
            if let origin, key.algorithm == .ed25519 {
                ids.insert(Hex.encode(SignedCheckpoint.ed25519KeyHash(key, name: origin)))
            }
            self.otherIDs = ids
        }

        func isValid(at time: Int) -> Bool { time >= validFrom && validUntil.map { time <= $0 } ?? true }

        /// Whether a bundle or cosign annotation naming the log `id` (lower-case hex) means this log.
        func isNamed(_ id: String) -> Bool { id == logID || otherIDs.contains(id) }
    }

    /// Why trust material could not be loaded; Portcullis refuses to start rather than verify against half a root.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public let message: String
        init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    public let certificateAuthorities: [CertificateAuthority]
    public let transparencyLogs: [TransparencyLog]
    /// RFC 3161 time-stamping authorities (`timestampAuthorities`), whose tokens can prove a signing time.
    public let timestampAuthorities: [CertificateAuthority]
    /// Where it was loaded from, for messages.
    public let source: String

    public init(
        certificateAuthorities: [CertificateAuthority], transparencyLogs: [TransparencyLog],
        timestampAuthorities: [CertificateAuthority] = [], source: String
    ) {
        self.certificateAuthorities = certificateAuthorities
        self.transparencyLogs = transparencyLogs
        self.timestampAuthorities = timestampAuthorities
        self.source = source
    }

    /// A file over this size is not a trusted root; refusing it bounds what a bad mount can cost at start.
    static let maxFileBytes = 4 << 20

    /// Loads sigstore's `trusted_root.json` (media type `application/vnd.dev.sigstore.trustedroot+json;version=0.1`).
    public static func load(trustedRootFile path: String) throws(LoadError) -> TrustedRoot {
        try TrustedRoot(json: read(path), source: path)
    }

    /// Loads explicit PEM files: one Fulcio chain (intermediates, then the root last) and one or more Rekor public
    /// keys. No validity windows are known then, so each is trusted for all time; the chain's own dates still apply.
    public static func load(fulcioChainFile: String, rekorKeyFiles: [String]) throws(LoadError) -> TrustedRoot {
        let certificates: [Certificate]
        do { certificates = try Certificate.pemCertificates(read(fulcioChainFile), source: fulcioChainFile) } catch {
            throw LoadError("cannot read the Fulcio chain: \(error)")
        }
        var logs: [TransparencyLog] = []
        for path in rekorKeyFiles {
            do {
                let key = try PublicKey(pem: read(path), source: path)
                logs.append(TransparencyLog(key: key, validFrom: Int.min, validUntil: nil))
            } catch let error as LoadError { throw error } catch {
                throw LoadError("cannot read the Rekor key: \(error)")
            }
        }
        return TrustedRoot(
            certificateAuthorities: [
                CertificateAuthority(certificates: certificates, validFrom: Int.min, validUntil: nil)
            ],
            transparencyLogs: logs, source: ([fulcioChainFile] + rekorKeyFiles).joined(separator: ", "))
    }

    /// Parses a trusted root document; every CA and log must be usable, or the whole file is refused.
    public init(json bytes: [UInt8], source: String) throws(LoadError) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw LoadError("\(source) is not a JSON object")
        }
        guard let mediaType = root["mediaType"] as? String,
            mediaType.hasPrefix("application/vnd.dev.sigstore.trustedroot")
        else { throw LoadError("\(source) has no sigstore trusted root mediaType") }
        let authorities = try TrustedRoot.chains(
            root["certificateAuthorities"], what: "\(source): certificateAuthorities")
        let timestampAuthorities = try TrustedRoot.chains(
            root["timestampAuthorities"], what: "\(source): timestampAuthorities")
        var logs: [TransparencyLog] = []
        for (index, entry) in (root["tlogs"] as? [[String: Any]] ?? []).enumerated() {
            let what = "\(source): tlogs[\(index)]"
            guard let publicKey = entry["publicKey"] as? [String: Any],
                let der = (publicKey["rawBytes"] as? String).flatMap({ Data(base64Encoded: $0) })
            else { throw LoadError("\(what) has no base64 publicKey.rawBytes") }
            let key: PublicKey
            do { key = try PublicKey(pem: TrustedRoot.pem(spki: [UInt8](der)), source: what) } catch {
                throw LoadError("\(what): \(error)")
            }
            let (from, until) = try TrustedRoot.validity(publicKey["validFor"], what: what)
            let declared = ((entry["logId"] as? [String: Any])?["keyId"] as? String)
                .flatMap { Data(base64Encoded: $0) }.map { Hex.encode($0) }
            logs.append(
                TransparencyLog(
                    key: key, validFrom: from, validUntil: until, origin: TrustedRoot.origin(entry["baseUrl"]),
                    declaredID: declared))
        }
        guard !authorities.isEmpty, !logs.isEmpty else {
            throw LoadError("\(source) needs at least one certificate authority and one transparency log")
        }
        self.init(
            certificateAuthorities: authorities, transparencyLogs: logs, timestampAuthorities: timestampAuthorities,
            source: source)
    }

    /// `certificateAuthorities` and `timestampAuthorities` share one shape: a `certChain` and a `validFor` window.
    private static func chains(_ value: Any?, what list: String) throws(LoadError) -> [CertificateAuthority] {
        var authorities: [CertificateAuthority] = []
        for (index, entry) in (value as? [[String: Any]] ?? []).enumerated() {
            let what = "\(list)[\(index)]"
            let raw = ((entry["certChain"] as? [String: Any])?["certificates"] as? [[String: Any]] ?? [])
            var certificates: [Certificate] = []
            for item in raw {
                guard let der = (item["rawBytes"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
                    throw LoadError("\(what) has a certificate without base64 rawBytes")
                }
                do { certificates.append(try Certificate(der: [UInt8](der), source: what)) } catch {
                    throw LoadError("\(what): \(error)")
                }
            }
            guard !certificates.isEmpty else { throw LoadError("\(what) has no certificates") }
            let (from, until) = try TrustedRoot.validity(entry["validFor"], what: what)
            authorities.append(CertificateAuthority(certificates: certificates, validFrom: from, validUntil: until))
        }
        return authorities
    }

    /// `sha256:` over every CA and TSA certificate, log key and validity window: what cached verdicts are keyed by, so a
    /// refreshed file at the same path (a rotated CA, a retired log) invalidates them.
    public var fingerprint: String {
        let authorities = (certificateAuthorities + timestampAuthorities).enumerated().map { index, authority in
            (index < certificateAuthorities.count ? "" : "tsa:")
                + authority.certificates.map(\.fingerprint).joined(separator: ",")
                + "@\(authority.validFrom)-\(authority.validUntil.map(String.init) ?? "")"
        }
        let logs = transparencyLogs.map { "\($0.logID)@\($0.validFrom)-\($0.validUntil.map(String.init) ?? "")" }
        return "sha256:" + SHA256.hex(of: Array((authorities + logs).joined(separator: "\n").utf8))
    }

    /// The log that `id` names, if the root trusts it.
    func log(named id: String) -> TransparencyLog? { transparencyLogs.first { $0.isNamed(id) } }

    /// `https://log2025-1.rekor.sigstore.dev/` → `log2025-1.rekor.sigstore.dev`: the checkpoint name of a log.
    private static func origin(_ value: Any?) -> String? {
        guard let url = value as? String, let components = URLComponents(string: url), let host = components.host
        else { return nil }
        let path = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        return host + path
    }

    static func logID(of key: PublicKey) -> String { String(key.fingerprint.dropFirst("sha256:".count)) }

    private static func read(_ path: String) throws(LoadError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError("cannot read \(path)") }
        guard data.count <= maxFileBytes else { throw LoadError("\(path) is over \(maxFileBytes) bytes") }
        return [UInt8](data)
    }

    private static func pem(spki der: [UInt8]) -> [UInt8] {
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return Array("-----BEGIN PUBLIC KEY-----\n\(body)\n-----END PUBLIC KEY-----\n".utf8)
    }

    private static func validity(_ value: Any?, what: String) throws(LoadError) -> (Int, Int?) {
        guard let window = value as? [String: Any], let start = window["start"] as? String else {
            throw LoadError("\(what) has no validFor.start")
        }
        guard let from = epochSeconds(start) else {
            throw LoadError("\(what): validFor.start \(start) is not RFC 3339")
        }
        guard let end = window["end"] as? String else { return (from, nil) }
        guard let until = epochSeconds(end) else { throw LoadError("\(what): validFor.end \(end) is not RFC 3339") }
        return (from, until)
    }

    /// RFC 3339 UTC time with optional fractional seconds (which are dropped: validity is checked in whole seconds).
    static func epochSeconds(_ text: String) -> Int? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Int(date.timeIntervalSince1970) }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text).map { Int($0.timeIntervalSince1970) }
    }
}
