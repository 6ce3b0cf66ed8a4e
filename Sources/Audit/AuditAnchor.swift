import Foundation
import PortcullisCrypto

/// Where a durable line sits in the log: what `AuditWriter.append` returns once the line and the
/// checkpoint that signs it are on disk.
///
/// The webhook hands it to the API server as `auditAnnotations`, so the API server's own audit log,
/// off the node, records which line of which chain answered each request and the signed root that
/// covered it. `portcullis audit reconcile` compares the two logs by these values.
public struct AuditAnchor: Sendable, Equatable {
    /// The writer's chain ID (the `chain` member of every line).
    public var chain: String
    public var seq: UInt64
    /// SHA-256 of the line's exact bytes, newline included: what the next line's `prev` names.
    public var lineSHA256: SHA256Digest
    /// The tree size and root of the checkpoint written in the same batch, right after the line.
    public var treeSize: UInt64
    public var root: SHA256Digest

    public init(chain: String, seq: UInt64, lineSHA256: SHA256Digest, treeSize: UInt64, root: SHA256Digest) {
        self.chain = chain
        self.seq = seq
        self.lineSHA256 = lineSHA256
        self.treeSize = treeSize
        self.root = root
    }

    /// The annotation keys, without the webhook-name prefix the API server adds (`ephi.portcullis.io/audit-seq`).
    /// Each is a valid qualified name of at most 63 characters, as the API server requires.
    public enum Key {
        public static let chain = "audit-chain"
        public static let seq = "audit-seq"
        public static let lineSHA256 = "audit-line-sha256"
        /// `<tree size>:<base64 root>`, the checkpoint's second and third lines as `audit verify` prints them.
        public static let root = "audit-root"
        public static let all = [chain, seq, lineSHA256, root]
    }

    /// The four annotations, as the webhook returns them.
    public var annotations: [String: String] {
        [
            Key.chain: chain, Key.seq: String(seq), Key.lineSHA256: lineSHA256.hex,
            Key.root: "\(treeSize):\(Data(root.bytes).base64EncodedString())",
        ]
    }

    /// Reads an anchor back from annotations whose keys are already stripped of their prefix; the error
    /// names the member that is missing or malformed.
    public init(annotations: [String: String]) throws(AuditError) {
        func value(_ key: String) throws(AuditError) -> String {
            guard let value = annotations[key] else { throw AuditError("\(key) is missing") }
            return value
        }
        let chain = try value(Key.chain)
        guard !chain.isEmpty else { throw AuditError("\(Key.chain) is empty") }
        let seqText = try value(Key.seq)
        guard let seq = UInt64(seqText), seq > 0 else {
            throw AuditError("\(Key.seq) \"\(seqText)\" is not a sequence number")
        }
        let hashText = try value(Key.lineSHA256)
        guard hashText.utf8.count == 64, let hash = SHA256Digest(hex: hashText) else {
            throw AuditError("\(Key.lineSHA256) \"\(hashText)\" is not 64 hex digits")
        }
        let rootText = try value(Key.root)
        let parts = rootText.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let size = UInt64(parts[0]), let bytes = Data(base64Encoded: String(parts[1])),
            let root = SHA256Digest(bytes: bytes)
        else { throw AuditError("\(Key.root) \"\(rootText)\" is not <tree size>:<base64 SHA-256>") }
        self.init(chain: chain, seq: seq, lineSHA256: hash, treeSize: size, root: root)
    }
}
