/// What a keyless authority accepts: the trust material to verify Fulcio certificates and Rekor promises with, and
/// which identities (certificate SAN and OIDC issuer) may sign.
///
/// A keyless certificate proves only that *someone* with an OIDC login signed; without an identity policy any
/// GitHub user could vouch for an image. So subjects and issuer are both required.
public struct KeylessPolicy: Sendable, CustomStringConvertible {
    public let trustedRoot: TrustedRoot
    /// Accepted SAN values (e-mail or URI); a certificate matches if any of its SAN entries matches any of these.
    public let subjects: [IdentityMatcher]
    /// Accepted OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8, or the deprecated .1.1).
    public let issuer: IdentityMatcher
    /// Which proofs of log inclusion and signing time a signature must carry (`requireProofOfTime`).
    public let proofOfTime: ProofOfTime

    public init(
        trustedRoot: TrustedRoot, subjects: [IdentityMatcher], issuer: IdentityMatcher, proofOfTime: ProofOfTime = .any
    ) {
        self.trustedRoot = trustedRoot
        self.subjects = subjects
        self.issuer = issuer
        self.proofOfTime = proofOfTime
    }

    /// Stable text for cache keys and messages: a changed subject, issuer, proof requirement or trust file changes it.
    public var description: String {
        let accepted = subjects.map(\.description).joined(separator: ", ")
        return "keyless(root \(trustedRoot.source) \(trustedRoot.fingerprint); issuer \(issuer); subjects \(accepted); "
            + "proof of time \(proofOfTime))"
    }
}

/// One accepted identity value: exact text, or a regular expression that must match the whole value.
///
/// Anchoring is implicit because an unanchored pattern for `https://github.com/org/repo/` would also accept
/// `https://github.com/attacker/x?https://github.com/org/repo/`.
public struct IdentityMatcher: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case exact
        case regex
    }

    public let kind: Kind
    public let text: String

    private init(kind: Kind, text: String) {
        self.kind = kind
        self.text = text
    }

    public static func exact(_ text: String) -> IdentityMatcher { IdentityMatcher(kind: .exact, text: text) }

    /// The policy-file spelling: `regex:<pattern>` for a pattern, anything else exact text.
    public init(policyText: String) throws(PatternError) {
        self =
            policyText.hasPrefix("regex:")
            ? try .regex(String(policyText.dropFirst("regex:".count))) : .exact(policyText)
    }

    /// Compiles `pattern` once to refuse a broken expression when the policy loads, not at admission time.
    public static func regex(_ pattern: String) throws(PatternError) -> IdentityMatcher {
        do { _ = try Regex(pattern) } catch { throw PatternError(pattern: pattern, problem: "\(error)") }
        return IdentityMatcher(kind: .regex, text: pattern)
    }

    /// Why a pattern was refused.
    public struct PatternError: Error, Sendable, CustomStringConvertible {
        public let pattern: String
        public let problem: String
        public var description: String { "identity pattern /\(pattern)/ is not a regular expression: \(problem)" }
    }

    public func matches(_ value: String) -> Bool {
        switch kind {
        case .exact: return value == text
        case .regex: return (try? Regex(text).wholeMatch(in: value)) != nil
        }
    }

    public var description: String {
        switch kind {
        case .exact: "\"\(text)\""
        case .regex: "/\(text)/"
        }
    }
}
