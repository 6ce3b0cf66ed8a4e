/// What a keyless signature must carry to prove that the log holds it and when it was made (docs/KEYLESS.md,
/// "Proof of time").
///
/// A Fulcio certificate lives ten minutes, so a keyless signature is only as good as the proof of the time it was
/// made in that window: a Rekor v1 SignedEntryTimestamp (the log signs the integrated time) or an RFC 3161
/// timestamp from a trusted TSA (Rekor v2 logs sign no time at all). The log entry itself is proven by the SET or
/// by an inclusion proof against a signed checkpoint. Whatever is required, every proof a bundle carries is
/// verified: one that does not hold is a denial, never skipped.
public enum ProofOfTime: Sendable, Hashable, CustomStringConvertible {
    /// The proofs a bundle can carry, spelled as the policy writes them.
    public enum Kind: String, Sendable, Hashable, Comparable {
        case signedEntryTimestamp = "SET"
        case timestamp = "tsa"
        case inclusionProof

        public static func < (left: Kind, right: Kind) -> Bool { left.rawValue < right.rawValue }

        var name: String {
            switch self {
            case .signedEntryTimestamp: "a SignedEntryTimestamp (SET)"
            case .timestamp: "an RFC 3161 timestamp (tsa)"
            case .inclusionProof: "an inclusion proof with a checkpoint (inclusionProof)"
            }
        }
    }

    /// cosign's default: the entry proven by a SET or an inclusion proof, the time by a SET or a trusted TSA.
    case any
    /// Each of these must be present and verify, on top of what `any` asks.
    case all(Set<Kind>)

    /// The first required proof missing from `proven`, as a denial naming the authority.
    func problem(proven: Set<Kind>, authority: String) -> String? {
        guard case .all(let required) = self, let missing = required.subtracting(proven).min() else { return nil }
        return "authority \(authority) requires \(missing.name) (requireProofOfTime: \(self)), which the signature "
            + "does not carry"
    }

    public var description: String {
        switch self {
        case .any: "any"
        case .all(let kinds): "[" + kinds.sorted().map(\.rawValue).joined(separator: ", ") + "]"
        }
    }
}
