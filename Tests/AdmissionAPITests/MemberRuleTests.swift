import Testing

@testable import AdmissionAPI

/// One rule for every member a decoder reads: a repeat is an error even when one copy is `null`, and `null`
/// alone means absent. Another JSON parser takes the first or the last of two copies; Portcullis takes neither.
@Suite struct MemberRuleTests {
    static let digest = "sha256:" + String(repeating: "a", count: 64)

    /// A pod review whose `spec` members are `spec`, and whose request members are `request` plus the pod.
    static func review(spec: String, request: String = #""uid":"u","operation":"CREATE""#) -> [UInt8] {
        Array(
            #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{\#(request),"kind":{"group":"","version":"v1","kind":"Pod"},"object":{"kind":"Pod","metadata":{"name":"p"},"spec":{\#(spec)}}}}"#
                .utf8)
    }

    static let container = #"{"name":"c","image":"registry.internal/a@\#(digest)"}"#

    /// (member, a value, where it sits): each is then repeated with `null` before and after it.
    static let members: [(name: String, value: String, inSpec: Bool)] = [
        ("nodeSelector", #"{"pool":"ephi"}"#, true),
        ("nodeName", #""node-1""#, true),
        ("containers", "[\(container)]", true),
        ("initContainers", "[\(container)]", true),
        ("ephemeralContainers", "[\(container)]", true),
        ("tolerations", #"[{"key":"k","operator":"Exists"}]"#, true),
        ("affinity", #"{"nodeAffinity":null}"#, true),
        ("volumes", #"[{"name":"m","image":{"reference":"r"}}]"#, true),
        ("schedulerName", #""custom""#, true),
        ("resourceClaims", #"[{"name":"gpu","resourceClaimTemplateName":"t"}]"#, true),
        ("namespace", #""clinical""#, false),
        ("operation", #""UPDATE""#, false),
        ("dryRun", "true", false),
    ]

    @Test(arguments: members)
    func repeatedWithNullIsAnError(name: String, value: String, inSpec: Bool) throws {
        for pair in ["\"\(name)\":\(value),\"\(name)\":null", "\"\(name)\":null,\"\(name)\":\(value)"] {
            let input =
                inSpec
                ? Self.review(spec: name == "containers" ? pair : #""containers":[],"# + pair)
                : Self.review(spec: #""containers":[]"#, request: Self.request(name, pair))
            #expect(throws: AdmissionDecodingError.self, "\(pair)") { try AdmissionReviewCodec.decodeRequest(input) }
        }
    }

    /// The request's members with `member` (text `"name":value`) in place of the one named `name`.
    static func request(_ name: String, _ member: String) -> String {
        name == "operation" ? #""uid":"u","# + member : #""uid":"u","operation":"CREATE","# + member
    }

    @Test(arguments: members)
    func nullAloneMeansAbsent(name: String, value: String, inSpec: Bool) throws {
        let input =
            inSpec
            ? Self.review(spec: name == "containers" ? #""containers":null"# : #""containers":[],"\#(name)":null"#)
            : Self.review(spec: #""containers":[]"#, request: Self.request(name, #""\#(name)":null"#))
        if name == "operation" {
            // Required: absent is refused, naming it, as an omitted operation is.
            #expect {
                try AdmissionReviewCodec.decodeRequest(input)
            } throws: { ($0 as? AdmissionDecodingError)?.message.contains("operation is \"\"") == true }
        } else {
            #expect(throws: Never.self) { try AdmissionReviewCodec.decodeRequest(input) }
        }
    }

    /// Valid Kubernetes JSON, as `kubectl` and controllers write it.
    static let nullsInsideAffinity = [
        #"{"nodeAffinity":null}"#,
        #"{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":null}}"#,
        #"{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":null}}}"#,
        #"{"podAntiAffinity":null,"nodeAffinity":null}"#,
    ]

    @Test(arguments: nullsInsideAffinity)
    func nullsInsideAffinityAreAbsent(affinity: String) throws {
        let request = try AdmissionReviewCodec.decodeRequest(
            Self.review(spec: #""containers":[],"affinity":\#(affinity)"#))
        let terms = request.object?.spec?.requiredNodeAffinity ?? []
        #expect(terms.isEmpty)
    }

    @Test func repeatedNodeAffinityWithNullIsAnError() throws {
        let affinity =
            #"{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[]}},"nodeAffinity":null}"#
        #expect(throws: AdmissionDecodingError.self) {
            try AdmissionReviewCodec.decodeRequest(Self.review(spec: #""containers":[],"affinity":\#(affinity)"#))
        }
    }
}
