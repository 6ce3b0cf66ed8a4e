/// Why a policy file was refused: every problem found, each with the line and column it is at.
/// `portcullis policy lint` prints them all, and `serve` refuses to start (or keeps the last good policy).
public struct PolicyLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One problem at one place in the file.
    public struct Issue: Sendable, Equatable, CustomStringConvertible {
        /// 1-based line, or 0 when the problem has no position (an empty file).
        public var line: Int
        /// 1-based column.
        public var column: Int
        public var message: String

        public init(line: Int, column: Int, message: String) {
            self.line = line
            self.column = column
            self.message = message
        }

        public var description: String { "\(line):\(column): \(message)" }
    }

    public var issues: [Issue]

    public init(issues: [Issue]) {
        self.issues = issues
    }

    /// One issue per line, in file order.
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
