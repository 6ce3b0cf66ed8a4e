import AdmissionAPI
import Yams

/// The signature sections of a policy: `authorities`, `registries`, `registryCredentials`, `signatureCache` and
/// each class's `signatures` block. Paths are validated as text only; the loader reads the files.
extension PolicyParser {
    func parseSignatureTrust(_ fields: [String: Node]) -> SignatureTrust {
        var trust = SignatureTrust()
        if let node = fields["authorities"], let entries = pairs(of: node, named: "authorities") {
            for (name, keyNode, value) in entries {
                guard !name.isEmpty, !name.contains(where: \.isWhitespace) else {
                    report("authority name \"\(name)\" must be a non-empty word", at: keyNode)
                    continue
                }
                if let authority = parseAuthority(name, value) { trust.authorities[name] = authority }
            }
        }
        if let node = fields["registries"], let entries = pairs(of: node, named: "registries") {
            for (host, keyNode, value) in entries {
                do {
                    let prefix = try ImageReference.parseRegistryPrefix(host)
                    guard !prefix.contains("/") else {
                        report("registries key \"\(host)\" must be a host[:port], without a path", at: keyNode)
                        continue
                    }
                } catch {
                    report("registries key \"\(host)\": \(error.reason)", at: keyNode)
                    continue
                }
                let context = "registries.\(host)"
                guard let settings = self.fields(of: value, named: context, allowed: ["ca", "insecure", "tokenRealms"])
                else {
                    continue
                }
                var registry = RegistrySettings()
                if let ca = settings["ca"] { registry.caFile = path(ca, "\(context).ca") }
                if let insecure = settings["insecure"], let flag = bool(insecure, "\(context).insecure") {
                    registry.insecure = flag
                }
                if let realms = settings["tokenRealms"] {
                    registry.tokenRealms = parseTokenRealms(realms, context: "\(context).tokenRealms")
                }
                if registry.insecure && registry.caFile != nil {
                    report("\(context): a registry is either insecure (plain HTTP) or has a ca, not both", at: value)
                }
                trust.registries[host] = registry
            }
        }
        if let node = fields["registryCredentials"] { trust.registryCredentials = path(node, "registryCredentials") }
        if let node = fields["signatureCache"],
            let settings = self.fields(of: node, named: "signatureCache", allowed: ["ttl", "failureTTL", "size"])
        {
            if let ttl = settings["ttl"], let value = duration(ttl, "signatureCache.ttl") { trust.cache.ttl = value }
            if let ttl = settings["failureTTL"], let value = duration(ttl, "signatureCache.failureTTL") {
                trust.cache.failureTTL = value
            }
            if let size = settings["size"] {
                if let value = size.int, size.tag.rawValue == Tag.Name.int.rawValue, (1...1_000_000).contains(value) {
                    trust.cache.size = value
                } else {
                    report("signatureCache.size must be a whole number from 1 to 1000000", at: size)
                }
            }
        }
        return trust
    }

    /// Token realm hosts are `host[:port]` like registry keys: the realm's scheme is always https, and its path is
    /// the registry's to choose.
    private func parseTokenRealms(_ node: Node, context: String) -> [String] {
        var hosts: [String] = []
        for item in sequence(node, context) ?? [] {
            guard let host = string(item, "an entry of \(context)") else { continue }
            do {
                guard try !ImageReference.parseRegistryPrefix(host).contains("/") else {
                    report("\(context) entry \"\(host)\" must be a host[:port], without a path", at: item)
                    continue
                }
                hosts.append(host)
            } catch {
                report("\(context) entry \"\(host)\": \(error.reason)", at: item)
            }
        }
        return hosts
    }

    private func parseAuthority(_ name: String, _ node: Node) -> SignatureAuthority? {
        let context = "authority \"\(name)\""
        let allowed = ["keys", "keyless", "images", "identity"]
        guard let fields = fields(of: node, named: context, allowed: allowed) else { return nil }
        var authority = SignatureAuthority(name: name, keyFiles: [], images: [])
        switch (fields["keys"], fields["keyless"]) {
        case (let keys?, nil):
            if let items = sequence(keys, "\(context) keys") {
                authority.keyFiles = items.compactMap { path($0, "an entry of \(context) keys") }
                if items.isEmpty { report("\(context) keys is empty; list at least one PEM public key file", at: keys) }
            }
        case (nil, let keyless?):
            authority.keyless = parseKeyless(keyless, context: context)
        case (_?, _?):
            report("\(context) has both keys and keyless; an authority is one or the other", at: node)
        case (nil, nil):
            report("\(context) needs keys (PEM public key files) or keyless (Fulcio and Rekor trust)", at: node)
        }
        if let images = require("images", in: fields, of: node, named: context),
            let globs = strings(images, "\(context) images")
        {
            if globs.isEmpty { report("\(context) images is empty; it could vouch for no image", at: images) }
            for glob in globs where glob.isEmpty || glob.contains(":") && !glob.contains("/") || glob.contains("@") {
                report("\(context) images entry \"\(glob)\" must be a glob over registry/repository", at: images)
            }
            authority.images = globs
        }
        if let identity = fields["identity"] { authority.identity = parseIdentity(identity, context: context) }
        return authority
    }

    /// `keyless: {trustedRoot | fulcioChain + rekorKeys, issuer, subjects}`; issuer and subjects are both required,
    /// since a Fulcio certificate alone proves only that someone with some OIDC login signed.
    private func parseKeyless(_ node: Node, context: String) -> KeylessSettings? {
        let context = "\(context) keyless"
        let allowed = ["trustedRoot", "fulcioChain", "rekorKeys", "issuer", "subjects", "requireProofOfTime"]
        guard let fields = fields(of: node, named: context, allowed: allowed) else { return nil }
        var trust: KeylessSettings.TrustMaterial?
        switch (fields["trustedRoot"], fields["fulcioChain"], fields["rekorKeys"]) {
        case (let root?, nil, nil):
            trust = path(root, "\(context).trustedRoot").map { .trustedRoot($0) }
        case (nil, let chain?, let keys?):
            let files = sequence(keys, "\(context).rekorKeys")?.compactMap {
                path($0, "an entry of \(context).rekorKeys")
            }
            if files?.isEmpty == true {
                report("\(context).rekorKeys is empty; list at least one Rekor public key", at: keys)
            }
            if let chain = path(chain, "\(context).fulcioChain"), let files, !files.isEmpty {
                trust = .pem(fulcioChain: chain, rekorKeys: files)
            }
        default:
            report(
                "\(context) needs either trustedRoot (a sigstore trusted_root.json) or fulcioChain and rekorKeys",
                at: node)
        }
        let issuer = require("issuer", in: fields, of: node, named: context).flatMap { string($0, "\(context).issuer") }
        if issuer?.isEmpty == true { report("\(context).issuer is empty; name the OIDC issuer", at: fields["issuer"]) }
        var subjects: [String]?
        if let node = require("subjects", in: fields, of: node, named: context) {
            subjects = strings(node, "\(context).subjects")
            if subjects?.isEmpty == true || subjects?.contains("") == true {
                report("\(context).subjects must list at least one non-empty e-mail, URI or regex:pattern", at: node)
            }
        }
        // The loader compiles these too (Signatures' IdentityMatcher); checking here puts a typo's line and column in
        // `policy lint`, which reads no trust files.
        for (value, at) in (issuer.map { [($0, fields["issuer"])] } ?? [])
            + (subjects ?? []).map({ ($0, fields["subjects"]) })
        where value.hasPrefix("regex:") {
            do { _ = try Regex(String(value.dropFirst("regex:".count))) } catch {
                report("\(context): \(value.quotedForMessage) is not a regular expression: \(error)", at: at)
            }
        }
        let proofOfTime = fields["requireProofOfTime"].map { parseProofOfTime($0, context: context) } ?? .any
        guard let trust, let issuer, !issuer.isEmpty, let subjects, !subjects.isEmpty else { return nil }
        return KeylessSettings(trust: trust, issuer: issuer, subjects: subjects, proofOfTime: proofOfTime)
    }

    /// `requireProofOfTime: any` or a list of `SET`, `tsa`, `inclusionProof`; each mistake at its own entry.
    private func parseProofOfTime(_ node: Node, context: String) -> KeylessSettings.ProofOfTime {
        let field = "\(context).requireProofOfTime"
        if node.scalar != nil, node.string == "any" { return .any }
        guard let items = node.sequence else {
            report(
                "\(field) \(node.string.map { $0.quotedForMessage + " " } ?? "")is not any or a list of SET, tsa "
                    + "and inclusionProof", at: node)
            return .any
        }
        guard !items.isEmpty else {
            report("\(field) is empty; write any, or list the proofs required", at: node)
            return .any
        }
        var kinds: Set<KeylessSettings.ProofOfTime.Kind> = []
        for item in items {
            guard let text = string(item, "an entry of \(field)") else { continue }
            if text == "any" {
                report("\(field): any stands alone; write requireProofOfTime: any", at: item)
            } else if let kind = KeylessSettings.ProofOfTime.Kind(rawValue: text) {
                if !kinds.insert(kind).inserted { report("\(field) lists \(text) twice", at: item) }
            } else {
                report("\(field): \(text.quotedForMessage) is not SET, tsa or inclusionProof", at: item)
            }
        }
        return kinds.isEmpty ? .any : .all(kinds)
    }

    private func parseIdentity(_ node: Node, context: String) -> SignatureAuthority.Identity {
        if node.scalar != nil {
            switch string(node, "\(context) identity") {
            case "matchRepository": return .matchRepository
            case "any": return .any
            case let other?:
                report("\(context) identity \"\(other)\" is not matchRepository, any or {remap: {from, to}}", at: node)
            case nil: break
            }
            return .matchRepository
        }
        guard let outer = fields(of: node, named: "\(context) identity", allowed: ["remap"]),
            let remap = require("remap", in: outer, of: node, named: "\(context) identity"),
            let inner = fields(of: remap, named: "\(context) identity.remap", allowed: ["from", "to"]),
            let fromNode = require("from", in: inner, of: remap, named: "\(context) identity.remap"),
            let toNode = require("to", in: inner, of: remap, named: "\(context) identity.remap"),
            let from = repositoryPrefix(fromNode, "\(context) identity.remap.from"),
            let to = repositoryPrefix(toNode, "\(context) identity.remap.to")
        else { return .matchRepository }
        return .remap(from: from, to: to)
    }

    func parseSignatureRequirement(_ node: Node, context: String) -> SignatureRequirement? {
        let context = "\(context) signatures"
        let allowed = ["authorities", "require", "budget", "annotations", "attestations"]
        guard let fields = fields(of: node, named: context, allowed: allowed) else { return nil }
        var requirement = SignatureRequirement(authorities: [])
        if let names = require("authorities", in: fields, of: node, named: context),
            let values = strings(names, "\(context) authorities")
        {
            if values.isEmpty { report("\(context) authorities is empty; no signature could count", at: names) }
            requirement.authorities = values
        }
        if let require = fields["require"], let value = string(require, "\(context) require") {
            switch value {
            case "any": requirement.requireAll = false
            case "all": requirement.requireAll = true
            default: report("\(context) require \"\(value)\" is not any or all", at: require)
            }
        }
        if let budget = fields["budget"], let value = duration(budget, "\(context) budget") {
            if value < .milliseconds(100) || value > .seconds(30) {
                report(
                    "\(context) budget must be between 100ms and 30s (the webhook timeout is at most 30s)", at: budget)
            }
            requirement.budget = value
        }
        if let annotations = fields["annotations"],
            let flags = self.fields(
                of: annotations, named: "\(context) annotations", allowed: ["approvedFor", "expires", "reviewBy"])
        {
            func flag(_ key: String) -> Bool {
                flags[key].flatMap { bool($0, "\(context) annotations.\(key)") } ?? false
            }
            requirement.promotion = PromotionRules(
                approvedFor: flag("approvedFor"), expires: flag("expires"), reviewBy: flag("reviewBy"))
        }
        if let node = fields["attestations"] {
            requirement.attestations = parseAttestations(node, context: "\(context) attestations")
        }
        return requirement
    }

    /// `attestations:` a list of `{predicateType, …conditions}`; each condition is allowed only with its predicate
    /// type, so a misplaced `maxSeverity` under provenance is an error rather than a check that never runs.
    private func parseAttestations(_ node: Node, context: String) -> [AttestationRequirement] {
        var result: [AttestationRequirement] = []
        let keys = ["predicateType", "builderIDs", "sourceRepositories", "sourceRefs", "maxSeverity", "maxAge"]
        for (index, item) in (sequence(node, context) ?? []).enumerated() {
            let context = "\(context)[\(index)]"
            guard let all = fields(of: item, named: context, allowed: keys),
                let typeNode = require("predicateType", in: all, of: item, named: context),
                let type = string(typeNode, "\(context).predicateType")
            else { continue }
            func only(_ allowed: [String]) -> [String: Node] {
                for (key, value) in all where !allowed.contains(key) {
                    report("\(context): \(key) does not apply to predicateType \(type)", at: value)
                }
                return all
            }
            switch type {
            case AttestationRequirement.provenanceType:
                let fields = only(["predicateType", "builderIDs", "sourceRepositories", "sourceRefs"])
                func patterns(_ key: String) -> [String] {
                    guard let node = fields[key], let values = strings(node, "\(context).\(key)") else { return [] }
                    if values.isEmpty || values.contains("") {
                        report("\(context).\(key) must list non-empty values or regex:patterns", at: node)
                    }
                    for value in values where value.hasPrefix("regex:") {
                        do { _ = try Regex(String(value.dropFirst("regex:".count))) } catch {
                            report("\(context).\(key): \(value.quotedForMessage) is not a regular expression", at: node)
                        }
                    }
                    return values
                }
                let kind = AttestationRequirement.Kind.provenance(
                    builderIDs: patterns("builderIDs"), sourceRepositories: patterns("sourceRepositories"),
                    sourceRefs: patterns("sourceRefs"))
                if case .provenance([], [], []) = kind {
                    report("\(context): provenance needs builderIDs, sourceRepositories or sourceRefs", at: item)
                }
                result.append(AttestationRequirement(kind: kind, predicateTypes: [type]))
            case AttestationRequirement.vulnerabilityScanType:
                let fields = only(["predicateType", "maxSeverity", "maxAge"])
                var severity = AttestationRequirement.Severity.none
                if let node = require("maxSeverity", in: fields, of: item, named: context),
                    let text = string(node, "\(context).maxSeverity")
                {
                    if let value = AttestationRequirement.Severity(rawValue: text) {
                        severity = value
                    } else {
                        let names = AttestationRequirement.Severity.allCases.map(\.rawValue).joined(separator: ", ")
                        report("\(context).maxSeverity \(text.quotedForMessage) is not one of \(names)", at: node)
                    }
                }
                let maxAge = fields["maxAge"].flatMap { duration($0, "\(context).maxAge") }
                result.append(
                    AttestationRequirement(
                        kind: .vulnerabilityScan(maxSeverity: severity, maxAge: maxAge), predicateTypes: [type]))
            case "sbom",
                _ where AttestationRequirement.sbomTypes.contains(type):
                _ = only(["predicateType"])
                result.append(
                    AttestationRequirement(
                        kind: .sbom, predicateTypes: type == "sbom" ? AttestationRequirement.sbomTypes : [type]))
            default:
                report(
                    "\(context).predicateType \(type.quotedForMessage) is not \(AttestationRequirement.provenanceType), "
                        + "\(AttestationRequirement.vulnerabilityScanType), sbom or an SBOM predicate type "
                        + "(\(AttestationRequirement.sbomTypes.sorted().joined(separator: ", ")))",
                    at: typeNode)
            }
        }
        return result
    }

    /// `requireSignatures: true` needs a `signatures` block naming defined authorities, and a `signatures` block
    /// without `requireSignatures: true` would be a control that silently does nothing.
    func checkSignatureRequirements(_ classes: [String: DataClass], trust: SignatureTrust, classesNode: Node?) {
        let nodes =
            classesNode.flatMap { $0.mapping }.map { mapping in
                Dictionary(mapping.compactMap { key, value in key.scalar.map { ($0.string, value) } }) { first, _ in
                    first
                }
            } ?? [:]
        let defined = trust.authorities.keys.sorted().joined(separator: ", ")
        for (name, dataClass) in classes.sorted(by: { $0.key < $1.key }) {
            let node = nodes[name]
            switch (dataClass.requireSignatures, dataClass.signatures) {
            case (true, nil):
                report(
                    "class \"\(name)\" has requireSignatures: true but no signatures block naming its authorities",
                    at: node)
            case (false, _?):
                report("class \"\(name)\" has a signatures block but not requireSignatures: true", at: node)
            case (_, let requirement?):
                for authority in requirement.authorities where trust.authorities[authority] == nil {
                    report(
                        "class \"\(name)\" signatures: authority \"\(authority)\" is not defined"
                            + " (authorities: \(defined.isEmpty ? "none" : defined))",
                        at: node)
                }
            default: break
            }
        }
    }

    /// A file path: non-empty; the loader reads it.
    private func path(_ node: Node, _ context: String) -> String? {
        guard let value = string(node, context) else { return nil }
        guard !value.isEmpty else {
            report("\(context) is an empty path", at: node)
            return nil
        }
        return value
    }

    private func repositoryPrefix(_ node: Node, _ context: String) -> String? {
        guard let value = string(node, context) else { return nil }
        do {
            return try ImageReference.parseRegistryPrefix(value)
        } catch {
            report("\(context) \"\(value)\": \(error.reason)", at: node)
            return nil
        }
    }

    /// A duration of one whole number and one unit: `500ms`, `4s`, `5m`, `1h`. Policy durations are short and
    /// human-written; one unit is enough and leaves no ambiguity to review.
    private func duration(_ node: Node, _ context: String) -> Duration? {
        guard let text = string(node, context) else { return nil }
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let units: [Substring: Duration] = [
            "ms": .milliseconds(1), "s": .seconds(1), "m": .seconds(60), "h": .seconds(3600),
        ]
        guard !digits.isEmpty, digits.count <= 9, let count = Int(digits),
            let unit = units[text.dropFirst(digits.count)],
            count > 0
        else {
            report(
                "\(context) \"\(text)\" must be a positive whole number with a unit: ms, s, m or h (e.g. 4s)", at: node)
            return nil
        }
        return unit * count
    }
}
