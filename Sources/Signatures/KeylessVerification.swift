import PortcullisCrypto

/// Verifies one keyless signature fully offline, recording each step for `portcullis image verify`.
///
/// The order follows the trust: first the log's promise (so the integrated time can be believed), then that the
/// log entry is about *this* signature and certificate, then the certificate as of that time, then the signature
/// with the certificate's key, and only then who the certificate names.
struct KeylessVerification {
    static let issuerOID = "1.3.6.1.4.1.57264.1.8"
    static let deprecatedIssuerOID = "1.3.6.1.4.1.57264.1.1"

    /// What the signature covers, for matching the Rekor body.
    enum Signed {
        /// A legacy simple-signing payload (hashedrekord hashes the blob).
        case blob([UInt8])
        /// A DSSE envelope (dsse hashes the envelope payload, the signature covers the PAE).
        case dsse(payload: [UInt8], preAuthenticationEncoding: [UInt8])

        var signedBytes: [UInt8] {
            switch self {
            case .blob(let bytes): bytes
            case .dsse(_, let pae): pae
            }
        }
    }

    let material: KeylessMaterial
    let policy: KeylessPolicy
    let authority: String

    /// Returns the proven signer, appending one `ok` line per step to `steps`; throws the first failed step.
    func verify(_ signed: Signed, signatures: [[UInt8]], steps: inout [String]) throws(PayloadError) -> KeylessSigner {
        let leaf = material.certificate
        let root = policy.trustedRoot

        guard let entry = material.entry else {
            throw PayloadError(
                "the signature carries no Rekor entry, so its certificate's time cannot be proven offline")
        }
        guard let log = root.log(named: entry.logID) else {
            let known = root.transparencyLogs.map(\.logID).joined(separator: ", ")
            throw PayloadError("Rekor log ID \(entry.logID) is not a trusted log in \(root.source) (trusted: \(known))")
        }
        let logName = log.origin ?? log.key.fingerprint
        steps.append("ok   log ID \(entry.logID) names trusted Rekor log \(logName) (key \(log.key.fingerprint))")
        var proven: Set<ProofOfTime.Kind> = []
        let setTime = try proveInclusion(entry, in: log, logName: logName, proven: &proven, steps: &steps)

        let signature = try bodyMatch(entry: entry, signed: signed, signatures: signatures, leaf: leaf)
        steps.append("ok   Rekor entry body matches this payload hash, signature and certificate")

        let times = try proveTimestamps(of: signature, proven: &proven, steps: &steps) + [setTime].compactMap { $0 }
        guard let signingTime = times.first?.time else {
            throw PayloadError(
                "Rekor entry \(entry.logIndex) proves no signing time: it has no inclusion promise "
                    + "(SignedEntryTimestamp; Rekor v2 entries never do) and the bundle has no RFC 3161 timestamp")
        }
        if let problem = policy.proofOfTime.problem(proven: proven, authority: authority) {
            throw PayloadError(problem)
        }
        let carried = proven.sorted().map(\.rawValue).joined(separator: ", ")
        steps.append("ok   proofs carried [\(carried)] satisfy requireProofOfTime \(policy.proofOfTime)")
        for proof in times {
            guard log.isValid(at: proof.time) else {
                throw PayloadError(
                    "the Rekor key of log \(logName) was not valid at the signing time "
                        + "\(Certificate.iso8601(proof.time)) (\(proof.source))")
            }
            guard proof.time >= leaf.notBefore, proof.time <= leaf.notAfter else {
                throw PayloadError(
                    "the signing time \(Certificate.iso8601(proof.time)) (\(proof.source)) is outside the "
                        + "certificate's validity \(Certificate.iso8601(leaf.notBefore)) – "
                        + "\(Certificate.iso8601(leaf.notAfter))")
            }
            steps.append(
                "ok   \(proof.source) lies within the certificate's validity (expiry after that is expected)")
            let chained = try chain(leaf: leaf, at: proof.time)
            steps.append(
                "ok   certificate chains to trusted Fulcio root \(chained) as of \(Certificate.iso8601(proof.time))")
        }
        guard leaf.allowsCodeSigning else {
            throw PayloadError("the certificate lacks the code-signing extended key usage")
        }
        steps.append("ok   certificate allows code signing")

        let key: PublicKey
        do { key = try leaf.publicKey() } catch { throw PayloadError("the certificate's key is unusable: \(error)") }
        guard let scheme = key.scheme(verifying: signature, for: signed.signedBytes) else {
            throw PayloadError("the signature does not verify with the certificate's \(key.algorithm.rawValue) key")
        }
        steps.append("ok   signature verifies with the certificate's \(key.algorithm.rawValue) key (\(scheme))")

        let issuer = try issuer(of: leaf)
        let names = leaf.emailAddresses + leaf.uris
        let subject = names.first { name in policy.subjects.contains { $0.matches(name) } }
        guard policy.issuer.matches(issuer), let subject else {
            throw PayloadError(
                "signed by \(names.isEmpty ? "a certificate without e-mail or URI SAN" : names.joined(separator: ", ")) "
                    + "(issuer \(issuer)), but authority \(authority) accepts "
                    + "\(policy.subjects.map(\.description).joined(separator: " or ")) (issuer \(policy.issuer))")
        }
        steps.append("ok   identity \(subject) with issuer \(issuer) is accepted by authority \(authority)")
        return KeylessSigner(
            subject: subject, issuer: issuer, certificateFingerprint: leaf.fingerprint, signingTime: signingTime,
            logIndex: entry.logIndex)
    }

    /// The signature the Rekor entry vouches for, after checking the entry names this content and this certificate.
    private func bodyMatch(entry: RekorEntry, signed: Signed, signatures: [[UInt8]], leaf: Certificate)
        throws(PayloadError) -> [UInt8]
    {
        func sameCertificate(_ der: [UInt8]?) -> Bool { der == leaf.der }
        switch (try RekorBody(json: entry.body), signed) {
        case (.hashedRekord(let hash, let signature, let certificate), .blob(let payload)):
            guard hash == SHA256.hex(of: payload) else {
                throw PayloadError(
                    "the Rekor entry is for content sha256:\(hash), not this payload (sha256:\(SHA256.hex(of: payload)))"
                )
            }
            guard signatures.contains(signature) else {
                throw PayloadError("the Rekor entry records a different signature")
            }
            guard sameCertificate(certificate) else {
                throw PayloadError("the Rekor entry records a different certificate")
            }
            return signature
        case (.dsse(let hash, let recorded), .dsse(let payload, _)):
            guard hash == SHA256.hex(of: payload) else {
                throw PayloadError(
                    "the Rekor entry is for DSSE payload sha256:\(hash), not this one (sha256:\(SHA256.hex(of: payload)))"
                )
            }
            guard let match = recorded.first(where: { signatures.contains($0.signature) }) else {
                throw PayloadError("the Rekor entry records none of the envelope's signatures")
            }
            guard sameCertificate(match.certificate) else {
                throw PayloadError("the Rekor entry records a different certificate")
            }
            return match.signature
        default:
            throw PayloadError("the Rekor entry's kind does not fit this signature format")
        }
    }

    /// The subject of the trusted root that the leaf chains to at `time`, trying each CA valid then.
    private func chain(leaf: Certificate, at time: Int) throws(PayloadError) -> String {
        let root = policy.trustedRoot
        let current = root.certificateAuthorities.filter { $0.isValid(at: time) }
        guard !current.isEmpty else {
            throw PayloadError("no Fulcio CA in \(root.source) was valid at \(Certificate.iso8601(time))")
        }
        var problems: [String] = []
        for authority in current {
            let intermediates = Array(authority.certificates.dropLast()) + material.chain
            switch X509Chain.verify(leaf: leaf, intermediates: intermediates, roots: [authority.root], at: time) {
            case .success: return authority.root.subject
            case .failure(let failure): problems.append("\(authority.root.subject): \(failure.message)")
            }
        }
        throw PayloadError(
            "the certificate does not chain to a trusted Fulcio root: " + problems.joined(separator: "; "))
    }

    /// The OIDC issuer: the current extension holds a DER UTF8String, the deprecated one raw text; both must agree.
    private func issuer(of leaf: Certificate) throws(PayloadError) -> String {
        var current: String?
        if let raw = leaf.extensionValue(oid: KeylessVerification.issuerOID) {
            guard let text = KeylessVerification.utf8String(der: raw) else {
                throw PayloadError("the issuer extension \(KeylessVerification.issuerOID) is not a DER UTF8String")
            }
            current = text
        }
        let deprecated = leaf.extensionValue(oid: KeylessVerification.deprecatedIssuerOID).map {
            String(decoding: $0, as: UTF8.self)
        }
        switch (current, deprecated) {
        case (let value?, let old?) where value != old:
            throw PayloadError("the certificate names two issuers: \(value) (.1.8) and \(old) (.1.1)")
        case (let value?, _), (nil, let value?): return value
        case (nil, nil):
            throw PayloadError("the certificate has no OIDC issuer extension; it is not a Fulcio certificate")
        }
    }

    /// Decodes a DER UTF8String (tag 0x0C, short or long length) that spans all of `der`.
    static func utf8String(der: [UInt8]) -> String? {
        guard der.count >= 2, der[0] == 0x0C else { return nil }
        var length = Int(der[1])
        var start = 2
        if length & 0x80 != 0 {
            let octets = length & 0x7F
            guard octets >= 1, octets <= 3, der.count >= 2 + octets else { return nil }
            length = der[2..<(2 + octets)].reduce(0) { $0 << 8 | Int($1) }
            start = 2 + octets
        }
        guard der.count == start + length else { return nil }
        return String(validating: der[start...], as: UTF8.self)
    }
}

extension KeylessVerification {
    /// The keyless path of `SignatureCheck`: gathers the candidate's certificate and log entry, then verifies.
    /// `envelope` is the parsed DSSE envelope for a bundle, `nil` for a simple-signing layer.
    static func run(
        _ candidate: SignatureCandidate, envelope: DSSEEnvelope?, signatures: [[UInt8]], policy: KeylessPolicy,
        authority: String, steps: inout [String]
    ) throws(PayloadError) -> KeylessSigner {
        let material: KeylessMaterial?
        let signed: Signed
        switch candidate.material {
        case .simpleSigning(let payload, _, _):
            material = try KeylessMaterial(annotations: candidate.annotations)
            signed = .blob(payload)
        case .sigstoreBundle(let bundle, _):
            guard let envelope else { throw PayloadError("the bundle has no DSSE envelope") }
            material = try KeylessMaterial(bundle: bundle)
            signed = .dsse(payload: envelope.payload, preAuthenticationEncoding: envelope.preAuthenticationEncoding)
        }
        guard let material else {
            throw PayloadError("the signature carries no Fulcio certificate, but authority \(authority) is keyless")
        }
        steps.append("ok   Fulcio certificate \(material.certificate.serialNumber) found")
        return try KeylessVerification(material: material, policy: policy, authority: authority)
            .verify(signed, signatures: signatures, steps: &steps)
    }
}
