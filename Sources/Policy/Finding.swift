/// One problem a check found, before exemptions and modes are applied.
struct Finding {
    var rule: RuleID
    /// The JSON path of the offending field.
    var path: String
    var message: String
    /// The image the finding is about, for image exemptions.
    var image: String?
}
