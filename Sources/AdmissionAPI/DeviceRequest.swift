/// One request of a DRA ResourceClaim's `spec.devices.requests` (or a template's `spec.spec.devices.requests`),
/// flattened to the device choices it may be satisfied by, in both API shapes: `resource.k8s.io/v1` and
/// `v1beta2` put the class under `exactly` or under each `firstAvailable` alternative, `v1beta1` put it on
/// the request itself.
public struct DeviceRequest: Sendable, Equatable {
    /// One way the request may be allocated.
    public struct Choice: Sendable, Equatable {
        /// Where it sits below the request: `exactly`, `firstAvailable[1]`, or empty for the v1beta1 fields.
        public var field: String
        public var deviceClassName: String
        /// `ExactCount` (the default when empty) or `All`.
        public var allocationMode: String
        /// `count`, when given (ExactCount defaults it to 1).
        public var count: Int?

        public init(field: String, deviceClassName: String, allocationMode: String = "", count: Int? = nil) {
            self.field = field
            self.deviceClassName = deviceClassName
            self.allocationMode = allocationMode
            self.count = count
        }
    }

    public var name: String
    /// Every choice; a request with none names no device class at all.
    public var choices: [Choice]

    public init(name: String, choices: [Choice]) {
        self.name = name
        self.choices = choices
    }
}
