/// Why an AdmissionReview (or a manifest) could not be decoded: what is wrong, where, and at which byte.
///
/// The webhook answers a 400 with ``message`` as the JSON body, so the message names the field path
/// (`request.object.spec.containers[0].image`) and the problem in words a person can act on.
public struct AdmissionDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, without the location (e.g. `expected a string, found a number`).
    public var problem: String
    /// The JSON path of the offending value, empty for the document itself.
    public var path: String
    /// Byte offset in the input where the problem was seen, if it is about the bytes themselves.
    public var offset: Int?

    public init(_ problem: String, path: String = "", offset: Int? = nil) {
        self.problem = problem
        self.path = path
        self.offset = offset
    }

    /// One line: path, problem and byte offset.
    public var message: String {
        var text = path.isEmpty ? problem : "\(path): \(problem)"
        if let offset { text += " (at byte \(offset))" }
        return text
    }

    public var description: String { message }

    /// The same error seen from one level up: `key` is prepended to the path.
    func under(_ key: String) -> AdmissionDecodingError {
        var copy = self
        if path.isEmpty {
            copy.path = key
        } else if path.hasPrefix("[") {
            copy.path = key + path
        } else {
            copy.path = key + "." + path
        }
        return copy
    }
}
