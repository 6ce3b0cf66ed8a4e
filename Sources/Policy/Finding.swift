/// One problem a check found, before exemptions and modes are applied.
struct Finding {
    var rule: RuleID
    /// The JSON path of the offending field.
    var path: String
    var message: String
    /// The image the finding is about, for image exemptions.
    var image: String?
    /// The `serviceAccountName` of the pod or template the finding is about (empty: `default`), for service-account
    /// exemptions; nil for findings about no pod.
    var serviceAccount: String?
}
