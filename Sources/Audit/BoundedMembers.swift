import PortcullisCrypto

// Every line the writer writes fits `AuditLineFormat.maximumLineBytes`, so every reader can hold it; a
// content too long for it is shortened here, keeping what identifies it and measuring what was left out.

extension AuditRecord {
    /// Longest identifier kept in a shortened line; Kubernetes names are far shorter, so only hostile
    /// or broken input is cut.
    static let shortenedIdentifierBytes = 1024

    /// The members to write for this record within `limit` bytes.
    ///
    /// A review of a few megabytes (hundreds of containers with long image names) would otherwise make a
    /// line no reader holds; the verdict, every rule ID and the identifiers stay, and `cut` records the
    /// length and SHA-256 of the members the full line would have had.
    func boundedMembers(limit: Int) -> [UInt8] {
        let full = encodedMembers()
        guard full.count > limit else { return full }
        let length = AuditRecord.shortenedIdentifierBytes
        var short = self
        short.uid = uid.shortened(to: length)
        short.namespace = namespace?.shortened(to: length)
        short.name = name?.shortened(to: length)
        short.generateName = generateName?.shortened(to: length)
        short.user = user.shortened(to: length)
        short.groups = []
        short.reason = reason?.shortened(to: length)
        var seen = Set<String>()
        short.rules = rules.compactMap { rule in
            seen.insert(rule.id).inserted ? Rule(id: rule.id.shortened(to: length), message: "") : nil
        }
        short.exemptions = exemptions.map { Exemption(rule: $0.rule?.shortened(to: length), reason: "") }
        short.images = []
        // Volume types are distinct names of Kubernetes' own volume sources (at most 30); storage classes are
        // free text, one per claim.
        short.storageClasses = nil
        short.cut = Cut(length: full.count, sha256: SHA256.hex(of: full))
        return short.encodedMembers()
    }
}

extension ControlEvent {
    /// The members to write within `limit` bytes. Control lines are built from bounded inputs, but a
    /// rejected policy's error text can quote the file: free text is shortened first, and if that is not
    /// enough only the kind and the (shortened) message stay, with the length and SHA-256 of the rest.
    func boundedMembers(limit: Int) -> [UInt8] {
        let full = encodedMembers()
        guard full.count > limit else { return full }
        var short = self
        short.message = message.shortened(to: 4096)
        short.error = error?.shortened(to: 4096)
        let shortened = short.encodedMembers()
        guard shortened.count > limit else { return shortened }
        let minimal = ControlEvent(
            event,
            message: message.shortened(to: 4096)
                + " (members cut: \(full.count) bytes, sha256 \(SHA256.hex(of: full)))")
        return minimal.encodedMembers()
    }
}

extension String {
    /// The text cut to at most `bytes` bytes of UTF-8, on a character boundary.
    func shortened(to bytes: Int) -> String {
        guard utf8.count > bytes else { return self }
        var kept = ""
        for character in self {
            guard kept.utf8.count + character.utf8.count <= bytes else { break }
            kept.append(character)
        }
        return kept
    }
}
