/// The webhook's answer. Portcullis only validates: it never returns a patch.
public struct AdmissionResponse: Sendable, Equatable {
    public var uid: String
    public var allowed: Bool
    public var status: Status?
    /// Shown to the user by kubectl; the API server wants each single-line and at most 120 characters.
    public var warnings: [String]?
    /// Added to the API server's audit event; keys must be qualified names of at most 63 characters.
    public var auditAnnotations: [String: String]?

    public init(
        uid: String, allowed: Bool, status: Status? = nil, warnings: [String]? = nil,
        auditAnnotations: [String: String]? = nil
    ) {
        self.uid = uid
        self.allowed = allowed
        self.status = status
        self.warnings = warnings
        self.auditAnnotations = auditAnnotations
    }

    /// The `metav1.Status` subset a denial carries.
    public struct Status: Sendable, Equatable {
        public var code: Int
        public var message: String
        public var reason: String

        public init(code: Int, message: String, reason: String = "") {
            self.code = code
            self.message = message
            self.reason = reason
        }
    }
}
