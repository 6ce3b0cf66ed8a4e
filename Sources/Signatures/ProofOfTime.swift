/// What a keyless signature must carry to prove that the log holds it and when it was made (docs/KEYLESS.md,
/// "Proof of time").
///
/// A Fulcio certificate lives ten minutes, so a keyless signature is only as good as the proof of the time it was
/// made in that window: a Rekor v1 SignedEntryTimestamp (the log signs the integrated time) or an RFC 3161
/// timestamp from a trusted TSA (Rekor v2 logs sign no time at all). The log entry itself is proven by the SET or
/// by an inclusion proof against a signed checkpoint.
public enum ProofOfTime: Sendable, Hashable {
    /// The proofs a bundle can carry, spelled as the policy writes them.
    public enum Kind: String, Sendable, Hashable, CaseIterable, Comparable {
        case signedEntryTimestamp = "SET"
        case timestamp = "tsa"
        case inclusionProof

        public static func < (left: Kind, right: Kind) -> Bool { left.rawValue < right.rawValue }
    }
}
