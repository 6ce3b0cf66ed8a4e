import Yams

extension YamlError {
    /// The problem and where it is, without the multi-line source excerpt of `description`, so policy lint
    /// and evaluate can print one `line:column: message` line.
    var positioned: (line: Int, column: Int, message: String) {
        switch self {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return (mark.line, mark.column, "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return (context.mark.line, context.mark.column, "duplicate keys: \(duplicates.joined(separator: ", "))")
        default:
            return (0, 0, "invalid YAML: \(self)")
        }
    }
}
