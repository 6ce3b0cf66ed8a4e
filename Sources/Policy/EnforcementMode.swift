/// What a violation does to the request. Per class, with per-rule overrides, so a platform team can
/// roll a class or a single rule out in `warn` first and switch to `enforce` once the warnings stop.
public enum EnforcementMode: String, Sendable, CaseIterable, Comparable {
    /// Deny the request.
    case enforce
    /// Allow it, and return the violation as a warning kubectl shows.
    case warn
    /// Allow it silently; the violation is only recorded (audit log, audit annotations).
    case audit

    /// `enforce` is the strongest; used to pick the mode a decision reports.
    private var strength: Int {
        switch self {
        case .enforce: 2
        case .warn: 1
        case .audit: 0
        }
    }

    public static func < (lhs: EnforcementMode, rhs: EnforcementMode) -> Bool { lhs.strength < rhs.strength }
}
