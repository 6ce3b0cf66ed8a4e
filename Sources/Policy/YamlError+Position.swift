import Yams

extension YamlError {
    /// The problem and where it is, without the multi-line source excerpt of `description`, so policy lint
    /// and evaluate can print one `line:column: message` line.
    var positioned: (line: Int, column: Int, message: String) {
        switch self {
        case .scanner(_, let problem, let mark, let yaml), .parser(_, let problem, let mark, let yaml),
            .composer(_, let problem, let mark, let yaml):
            // At the end of a file without a final newline libyaml marks the line after the last: name the end.
            let end = Self.position(ofCharacter: yaml.count, in: yaml)
            return mark.line > end.line
                ? (end.line, end.column, "invalid YAML: \(problem)")
                : (mark.line, mark.column, "invalid YAML: \(problem)")
        case .reader(let problem, let offset, _, let yaml):
            let (line, column) = Self.position(ofCharacter: offset ?? 0, in: yaml)
            return (line, column, "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return (context.mark.line, context.mark.column, "duplicate keys: \(duplicates.joined(separator: ", "))")
        default:
            return (0, 0, "invalid YAML: \(self)")
        }
    }

    /// Line and column (1-based; the column in Unicode scalars, as Yams counts marks) of the `offset`-th character:
    /// the reader, unlike the scanner and parser, reports where it stopped as a character offset.
    private static func position(ofCharacter offset: Int, in text: String) -> (line: Int, column: Int) {
        let before = text.prefix(offset)
        let lineStart = before.lastIndex(where: \.isNewline).map { before.index(after: $0) } ?? before.startIndex
        return (before.count(where: \.isNewline) + 1, before[lineStart...].unicodeScalars.count + 1)
    }
}
