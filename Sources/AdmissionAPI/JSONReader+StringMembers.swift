extension JSONReader {
    /// Reads an object whose members of interest are all strings (group/version/kind, object metadata,
    /// a toleration) into `value`; other members are validated and skipped, a `null` member counts as
    /// absent, and a repeated known member is an error, as in every other decoder here.
    ///
    /// `fields` holds a handful of names, so a linear scan of byte comparisons is the fast lookup.
    mutating func readStringMembers<Value>(
        into value: inout Value, _ fields: [(name: StaticString, path: WritableKeyPath<Value, String>)]
    ) throws(AdmissionDecodingError) {
        var seen = SeenMembers()
        try readObject { reader, key throws(AdmissionDecodingError) in
            guard let index = fields.firstIndex(where: { $0.name ~= key }) else { return try reader.skipValue() }
            if try reader.present(index, fields[index].name, in: &seen) {
                value[keyPath: fields[index].path] = try reader.readString()
            }
        }
    }
}
