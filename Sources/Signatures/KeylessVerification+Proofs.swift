import Foundation
import PortcullisCrypto

/// A signing time and what proved it, for the certificate-validity check and the step list.
struct ProvenTime {
    let source: String
    let time: Int
}

extension KeylessVerification {
    /// Proves the entry is in `log`: by its SignedEntryTimestamp (which also proves the integrated time), by its
    /// inclusion proof against a checkpoint the log signed, or both. Every proof present must hold: a tampered
    /// proof is a denial, never a proof that is ignored. Returns the SET's time, if the entry has one.
    func proveInclusion(
        _ entry: RekorEntry, in log: TrustedRoot.TransparencyLog, logName: String, proven: inout Set<ProofOfTime.Kind>,
        steps: inout [String]
    ) throws(PayloadError) -> ProvenTime? {
        var setTime: ProvenTime?
        if let set = entry.signedEntryTimestamp {
            let time = Int(entry.integratedTime)
            guard log.key.isValidSignature(set, for: entry.signedPayload) else {
                throw PayloadError(
                    "the SignedEntryTimestamp of Rekor entry \(entry.logIndex) does not verify with the log key over "
                        + "{body, integratedTime \(time), logID, logIndex}")
            }
            steps.append(
                "ok   SignedEntryTimestamp verifies: entry \(entry.logIndex) integrated \(Certificate.iso8601(time))")
            proven.insert(.signedEntryTimestamp)
            setTime = ProvenTime(source: "Rekor integrated time", time: time)
        }
        if let (proof, text) = entry.inclusionProof {
            try proof.verify(entry: entry.body)
            try SignedCheckpoint(text).verify(proof: proof, key: log.key, log: logName, name: log.origin)
            steps.append(
                "ok   inclusion proof of entry \(proof.logIndex) leads to the root of tree size \(proof.treeSize) "
                    + "in a checkpoint signed by log \(logName)")
            proven.insert(.inclusionProof)
        }
        guard !proven.isEmpty else {
            throw PayloadError(
                "Rekor entry \(entry.logIndex) has no inclusion promise (SignedEntryTimestamp) and no inclusion proof "
                    + "with a checkpoint, so its presence in the log cannot be proven offline")
        }
        return setTime
    }

    /// The signing times the bundle's RFC 3161 timestamps prove: each must be over `signature` and signed by a
    /// timestamp authority of the trusted root that was valid at the stamped time.
    func proveTimestamps(of signature: [UInt8], proven: inout Set<ProofOfTime.Kind>, steps: inout [String])
        throws(PayloadError) -> [ProvenTime]
    {
        let root = policy.trustedRoot
        var times: [ProvenTime] = []
        for (index, der) in material.timestamps.enumerated() {
            let source = "RFC 3161 timestamp \(index)"
            let response: TimestampResponse
            do { response = try TimestampResponse(der: der, source: source) } catch {
                throw PayloadError("\(error)")
            }
            let authorities = root.timestampAuthorities.filter { $0.isValid(at: response.time) }
            var problems: [String] = []
            var trusted: String?
            for authority in authorities {
                switch response.verify(
                    data: signature, roots: [authority.root], intermediates: Array(authority.certificates.dropLast()))
                {
                case .success: trusted = authority.root.subject
                case .failure(let failure): problems.append(failure.message)
                }
                if trusted != nil { break }
            }
            guard let trusted else {
                let why = authorities.isEmpty ? "none was valid then" : problems.joined(separator: "; ")
                throw PayloadError(
                    "the \(source) (\(Certificate.iso8601(response.time))) does not verify with any timestamp "
                        + "authority in \(root.source): \(why)")
            }
            steps.append(
                "ok   \(source) over the signature by trusted TSA \(trusted) at \(Certificate.iso8601(response.time))")
            proven.insert(.timestamp)
            times.append(ProvenTime(source: source, time: response.time))
        }
        return times
    }
}
