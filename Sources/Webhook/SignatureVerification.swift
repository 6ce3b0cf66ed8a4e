import Dispatch
import Foundation
import HTTPTransport
import Policy
import PortcullisCrypto
import Signatures

/// The signature verification one loaded policy configures: its authorities with their keys read from disk, one
/// registry client (per-registry CA bundles, insecure registries, credentials) and one verification cache.
///
/// Built when the policy loads, so a missing or unreadable key, CA bundle or credentials file makes the whole
/// policy invalid (and a reload keeps the previous one) instead of failing admissions later. The webhook and
/// `portcullis image verify` both verify through ``verify(images:in:deadline:)``.
public final class SignatureVerification: Sendable {
    public let verifier: ImageVerifier
    /// Authorities by policy name, keys loaded.
    public let authorities: [String: Authority]
    let cacheSettings: SignatureCacheSettings

    /// Loads the trust material `trust` names; relative paths are relative to `directory` (the policy's own).
    /// - Parameter previous: the verification of the policy being replaced; its cache is kept when the cache
    ///   settings are unchanged (cache keys include each authority's key fingerprints, so results for other keys
    ///   can never be reused by mistake).
    public init(
        _ trust: SignatureTrust, relativeTo directory: String, reusing previous: SignatureVerification? = nil
    ) throws(SignatureTrustError) {
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : directory + "/" + path }
        func read(_ path: String, _ what: String) throws(SignatureTrustError) -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: resolve(path)) else {
                throw SignatureTrustError(file: resolve(path), "cannot read the \(what) (missing or not readable)")
            }
            return [UInt8](data)
        }
        var authorities: [String: Authority] = [:]
        for (name, authority) in trust.authorities {
            var keys: [PublicKey] = []
            for path in authority.keyFiles {
                do {
                    keys.append(
                        try PublicKey(pem: try read(path, "public key of authority \(name)"), source: resolve(path)))
                } catch let error as SignatureTrustError {
                    throw error
                } catch {
                    throw SignatureTrustError(
                        file: resolve(path), "authority \(name): not a usable public key: \(error)")
                }
            }
            let identity: IdentityRule =
                switch authority.identity {
                case .matchRepository: .matchRepository
                case .any: .any
                case .remap(let from, let to): .remap(imagePrefix: from, signedPrefix: to)
                }
            let keyless = try authority.keyless.map { settings throws(SignatureTrustError) in
                try Self.keylessPolicy(settings, authority: name, resolve: resolve)
            }
            authorities[name] = Authority(
                name: name, keys: keys, imagePatterns: authority.images.map(ImagePattern.init), identity: identity,
                keyless: keyless)
        }
        var tls: [String: TLSClientContext] = [:]
        for (host, settings) in trust.registries {
            guard let ca = settings.caFile else { continue }
            _ = try read(ca, "CA bundle of registry \(host)")
            do { tls[host] = try TLSClientContext(caBundlePath: resolve(ca)) } catch {
                throw SignatureTrustError(file: resolve(ca), "registry \(host): not a usable CA bundle: \(error)")
            }
        }
        var credentials = RegistryCredentials()
        if let path = trust.registryCredentials {
            let bytes = try read(path, "registry credentials")
            do { credentials = try RegistryCredentials(dockerConfigJSON: bytes) } catch {
                throw SignatureTrustError(file: resolve(path), "not a Docker config.json: \(error)")
            }
        }
        let client = RegistryClient(
            configuration: .init(
                insecureRegistries: Set(trust.registries.filter(\.value.insecure).keys),
                tokenRealms: trust.registries.mapValues { Set($0.tokenRealms) }),
            http: HTTPClient(tlsByHost: tls), credentials: credentials)
        let cache =
            previous.flatMap { $0.cacheSettings == trust.cache ? $0.verifier.cache : nil }
            ?? VerificationCache(
                settings: .init(
                    successTTL: trust.cache.ttl, failureTTL: trust.cache.failureTTL, capacity: trust.cache.size))
        self.verifier = ImageVerifier(client: client, cache: cache)
        self.authorities = authorities
        self.cacheSettings = trust.cache
    }

    /// Reads a keyless authority's trust file(s) and compiles its identity patterns; the error names the file or
    /// the pattern, so a bad mount or a typo fails the policy load (and a reload keeps the previous policy).
    static func keylessPolicy(
        _ settings: KeylessSettings, authority name: String, resolve: (String) -> String
    ) throws(SignatureTrustError) -> KeylessPolicy {
        let root: TrustedRoot
        let files: String
        do {
            switch settings.trust {
            case .trustedRoot(let path):
                files = resolve(path)
                root = try TrustedRoot.load(trustedRootFile: resolve(path))
            case .pem(let chain, let keys):
                files = ([chain] + keys).map(resolve).joined(separator: ", ")
                root = try TrustedRoot.load(fulcioChainFile: resolve(chain), rekorKeyFiles: keys.map(resolve))
            }
        } catch {
            throw SignatureTrustError(file: files, "keyless trust of authority \(name) is not usable: \(error)")
        }
        do {
            return KeylessPolicy(
                trustedRoot: root,
                subjects: try settings.subjects.map { text throws(IdentityMatcher.PatternError) in
                    try IdentityMatcher(policyText: text)
                },
                issuer: try IdentityMatcher(policyText: settings.issuer),
                proofOfTime: proofOfTime(settings.proofOfTime))
        } catch {
            throw SignatureTrustError(file: files, "authority \(name) keyless: \(error)")
        }
    }

    /// The policy's spelling and the verifier's share raw values, so each policy kind has its verifier kind.
    private static func proofOfTime(_ setting: KeylessSettings.ProofOfTime) -> ProofOfTime {
        switch setting {
        case .any: .any
        case .all(let kinds): .all(Set(kinds.compactMap { ProofOfTime.Kind(rawValue: $0.rawValue) }))
        }
    }

    /// Each authority's name with the fingerprints of what it trusts (its keys, or its keyless trusted root), for
    /// the `trustMaterialLoaded` control event.
    public var trustFingerprints: [(name: String, fingerprints: [String])] {
        authorities.values.sorted { $0.name < $1.name }.map { authority in
            (
                authority.name,
                authority.keyless.map { [$0.trustedRoot.fingerprint] } ?? authority.keys.map(\.fingerprint)
            )
        }
    }

    /// Verifies each distinct image once against the authorities `dataClass` accepts, by `deadline` (monotonic ns).
    public func verify(images: [String], in dataClass: DataClass, deadline: UInt64) -> [String: ImageVerification] {
        let requirement = dataClass.signatures
        return verifier.verify(
            images: images, authorities: accepted(by: requirement), requireAll: requirement?.requireAll ?? false,
            attestations: (requirement?.attestations ?? []).map(\.predicateTypes), deadline: deadline)
    }

    /// `verify` as far as the cache alone answers it, or nil when an image would need the registry.
    public func verifyFromCache(images: [String], in dataClass: DataClass) -> [String: ImageVerification]? {
        let requirement = dataClass.signatures
        return verifier.verifyFromCache(
            images: images, authorities: accepted(by: requirement), requireAll: requirement?.requireAll ?? false,
            attestations: (requirement?.attestations ?? []).map(\.predicateTypes))
    }

    private func accepted(by requirement: SignatureRequirement?) -> [Authority] {
        (requirement?.authorities ?? []).compactMap { authorities[$0] }
    }

    /// The deadline for one admission: the class's budget, cut short so the answer still leaves `margin` before
    /// the request's own deadline (the API server's `timeoutSeconds`).
    public static func deadline(budget: Duration, requestDeadline: UInt64, margin: Duration = .milliseconds(250))
        -> UInt64
    {
        let now = DispatchTime.now().uptimeNanoseconds
        let latest = requestDeadline > margin.nanoseconds ? requestDeadline - margin.nanoseconds : 0
        return min(now + budget.nanoseconds, max(now, latest))
    }
}

extension SignatureEvidence {
    /// The normalised form policy reads: who signed which digest with which key, or why nothing counts, and the
    /// verified attestations' facts.
    public init(_ verification: ImageVerification) {
        let outcome: Outcome
        switch verification.result {
        case .success(let signatures):
            outcome = .verified(
                signatures.map {
                    Signer(
                        authority: $0.authority, keyFingerprint: $0.keyFingerprint, annotations: $0.annotations,
                        subject: $0.signer?.subject, issuer: $0.signer?.issuer)
                })
        case .failure(let failure):
            let reason: FailureReason =
                switch failure.reason {
                case .unsigned: .unsigned
                case .invalid: .invalid
                case .unverifiable: .unverifiable
                }
            outcome = .failed(reason, message: "registry \(failure.registry): \(failure.message)")
        }
        let attestations = verification.attestations.compactMap { verified in
            verified.attestation.map {
                Attestation(
                    predicateType: $0.predicateType, bundleDigest: $0.bundleDigest, authority: verified.authority,
                    builderID: $0.builderID, sourceRepository: $0.sourceRepository, sourceRef: $0.sourceRef,
                    maxSeverity: $0.maxSeverity, scanFinishedOn: $0.scanFinishedOn)
            }
        }
        self.init(
            image: verification.image, digest: verification.digest, outcome: outcome, attestations: attestations)
    }
}

/// A trust file named by the policy cannot be used; says which file and why.
public struct SignatureTrustError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let reason: String

    init(file: String, _ reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}
