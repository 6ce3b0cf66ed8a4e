import AdmissionAPI
import Foundation
import JSONText
import Testing

/// The strict JSON reader: hostile input gives a typed error that says what and where, never a crash,
/// a hang or a silently different reading.
@Suite struct JSONDecodingTests {
    static func review(request: String) -> String {
        #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":\#(request)}"#
    }

    static func pod(spec: String) -> String {
        review(
            request:
                #"{"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":{"kind":"Pod","spec":\#(spec)}}"#
        )
    }

    /// One hostile input; described by name so a failure does not print megabytes of bytes.
    struct Hostile: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var mentions: String
        var testDescription: String { name }
    }

    static let hostile: [Hostile] = [
        ("empty input", [], "end of input"),
        ("deep nesting", Array(("{\"x\":" + String(repeating: "[", count: 100_000)).utf8), "nesting"),
        (
            "deep nesting in a container",
            Array(pod(spec: #"{"containers":[{"name":"c","env":"# + String(repeating: "[", count: 300)).utf8), "nesting"
        ),
        (
            "deep nesting in a skipped member",
            Array(review(request: #"{"uid":"u","x":"# + String(repeating: "{\"a\":", count: 200)).utf8), "nesting"
        ),
        (
            "huge number",
            Array(review(request: #"{"uid":"u","n":1"# + String(repeating: "0", count: 5000) + "}").utf8),
            "limit is 256"
        ),
        ("leading zero", Array(review(request: #"{"uid":"u","n":01}"#).utf8), "leading zero"),
        ("NaN", Array(review(request: #"{"uid":"u","n":NaN}"#).utf8), "unexpected character"),
        ("trailing comma", Array(review(request: #"{"uid":"u",}"#).utf8), "quoted object key"),
        ("comment", Array(("// hi\n" + review(request: #"{"uid":"u"}"#)).utf8), "unexpected character"),
        ("trailing data", Array((review(request: #"{"uid":"u"}"#) + "{}").utf8), "after the JSON value"),
        ("unterminated string", Array(#"{"apiVersion":"admission"#.utf8), "unterminated"),
        ("raw control character", Array(review(request: "{\"uid\":\"a\u{1}b\"}").utf8), "control character"),
        ("invalid UTF-8", Array(#"{"apiVersion":""#.utf8) + [0xFF, 0x22, 0x7D], "UTF-8"),
        ("overlong UTF-8", Array(#"{"apiVersion":""#.utf8) + [0xC0, 0xAF, 0x22, 0x7D], "UTF-8"),
        ("UTF-8 surrogate", Array(#"{"apiVersion":""#.utf8) + [0xED, 0xA0, 0x80, 0x22, 0x7D], "UTF-8"),
        ("truncated UTF-8", Array(#"{"apiVersion":""#.utf8) + [0xE2, 0x82], "UTF-8"),
        ("lone surrogate escape", Array(review(request: #"{"uid":"\ud800"}"#).utf8), "surrogate"),
        ("bad escape", Array(review(request: #"{"uid":"\x41"}"#).utf8), "escape"),
        ("duplicate uid", Array(review(request: #"{"uid":"a","uid":"b"}"#).utf8), "duplicate key \"uid\""),
        (
            "duplicate image", Array(pod(spec: #"{"containers":[{"name":"c","image":"ok","image":"evil"}]}"#).utf8),
            "duplicate key \"image\""
        ),
        (
            "duplicate resource",
            Array(
                pod(
                    spec:
                        #"{"containers":[{"name":"c","image":"i","resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpu":"0"}}}]}"#
                ).utf8), "duplicate key"
        ),
        (
            "duplicate template spec",
            Array(
                review(
                    request:
                        #"{"uid":"u","kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"CREATE","object":{"kind":"Deployment","spec":{"template":{"spec":{},"spec":{}}}}}"#
                ).utf8), "duplicate key \"spec\""
        ),
        (
            "template spec repeated as null",
            Array(
                review(
                    request:
                        #"{"uid":"u","kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"CREATE","object":{"kind":"Deployment","spec":{"template":{"spec":{"containers":[]},"spec":null}}}}"#
                ).utf8), "duplicate key \"spec\""
        ),
        (
            "duplicate affinity terms",
            Array(
                pod(
                    spec:
                        #"{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[],"nodeSelectorTerms":[]}}}}"#
                ).utf8), "duplicate key"
        ),
        ("duplicate nodeSelector key", Array(pod(spec: #"{"nodeSelector":{"z":"a","z":"b"}}"#).utf8), "duplicate key"),
        (
            "duplicate resourceClaims",
            Array(pod(spec: #"{"resourceClaims":[],"resourceClaims":[{"name":"gpu","resourceClaimName":"a"}]}"#).utf8),
            "duplicate key \"resourceClaims\""
        ),
        (
            "duplicate claim template",
            Array(
                pod(
                    spec:
                        #"{"resourceClaims":[{"name":"g","resourceClaimTemplateName":"a","resourceClaimTemplateName":"b"}]}"#
                ).utf8), "duplicate key \"resourceClaimTemplateName\""
        ),
        (
            "duplicate schedulerName",
            Array(pod(spec: #"{"schedulerName":"default-scheduler","schedulerName":"mine"}"#).utf8),
            "duplicate key \"schedulerName\""
        ),
        (
            "resourceClaims of the wrong type", Array(pod(spec: #"{"resourceClaims":{"name":"gpu"}}"#).utf8),
            "request.object.spec.resourceClaims: expected an array"
        ),
        (
            "containers of the wrong type", Array(pod(spec: #"{"containers":"all"}"#).utf8),
            "request.object.spec.containers: expected an array, found a string"
        ),
        (
            "image of the wrong type", Array(pod(spec: #"{"containers":[{"name":"c","image":7}]}"#).utf8),
            "request.object.spec.containers[0].image: expected a string"
        ),
        (
            "wrong apiVersion",
            Array(#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u"}}"#.utf8),
            "admission.k8s.io/v1"
        ),
        ("wrong kind", Array(#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"u"}}"#.utf8), "kind"),
        ("no request", Array(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.utf8), "no request"),
        ("empty uid", Array(review(request: #"{"uid":""}"#).utf8), "uid"),
        ("no operation", Array(review(request: #"{"uid":"u","kind":{"kind":"Pod"}}"#).utf8), "operation"),
        (
            "unknown operation", Array(review(request: #"{"uid":"u","kind":{"kind":"Pod"},"operation":"PATCH"}"#).utf8),
            "operation"
        ),
        ("no kind", Array(review(request: #"{"uid":"u","operation":"CREATE"}"#).utf8), "kind.kind"),
        ("top level array", Array("[]".utf8), "expected an object"),
    ].map { Hostile(name: $0.0, bytes: $0.1, mentions: $0.2) }

    @Test(arguments: hostile)
    func hostileInputIsATypedError(_ input: Hostile) {
        #expect(throws: AdmissionDecodingError.self) { try AdmissionReviewCodec.decodeRequest(input.bytes) }
        do {
            _ = try AdmissionReviewCodec.decodeRequest(input.bytes)
        } catch {
            #expect(error.message.contains(input.mentions), "\(error.message)")
        }
    }

    @Test func oversizedInputIsRefusedBeforeParsing() {
        let bytes = [UInt8](repeating: 0x20, count: 17 << 20)
        #expect(throws: AdmissionDecodingError.self) { try AdmissionReviewCodec.decodeRequest(bytes) }
    }

    @Test func escapedKeysAndValuesMeanWhatTheySay() throws {
        let text = Self.pod(
            spec:
                #"{"containers":[{"n\u0061me":"caf\u00e9 \ud83d\ude80","im\u0061ge":"registry.internal\/ephi\/app"}]}"#)
        let request = try AdmissionReviewCodec.decodeRequest(Array(text.utf8))
        let container = try #require(request.object?.spec?.containers.first)
        #expect(container.name == "café 🚀")
        #expect(container.image == "registry.internal/ephi/app")
    }

    @Test func nullMeansAbsent() throws {
        let text = Self.pod(
            spec: #"{"containers":[{"name":"c","image":"i","resources":null}],"nodeSelector":null,"affinity":null}"#)
        let request = try AdmissionReviewCodec.decodeRequest(Array(text.utf8))
        #expect(request.object?.spec?.nodeSelector == [:])
        #expect(request.object?.spec?.requiredNodeAffinity == nil)
    }

    @Test func samplePodReviewDecodesFully() throws {
        let url = PolicyLintTests.repositoryRoot.appending(path: "examples/admission-review-pod.json")
        let request = try AdmissionReviewCodec.decodeRequest(Array(try Data(contentsOf: url)))
        #expect(request.uid == "705ab4f5-6393-11e8-b7cc-42010a800002")
        #expect(request.kind == GroupVersionKind(group: "", version: "v1", kind: "Pod"))
        #expect(request.resource.resource == "pods")
        #expect(request.namespace == "clinical-nlp")
        #expect(request.userInfo.groups.count == 3)
        #expect(request.options == true)
        let spec = try #require(request.object?.spec)
        #expect(spec.containers.map(\.name) == ["trainer"])
        #expect(spec.initContainers.map(\.restartPolicy) == ["", "Always"])
        #expect(spec.containers[0].limits.contains { $0 == ("nvidia.com/gpu", "2") })
        #expect(spec.tolerations.count == 4)
        #expect(spec.requiredNodeAffinity?.first?.matchExpressions.count == 2)
    }

    @Test func writerEscapesEverythingItMust() throws {
        var writer = JSONWriter()
        writer.string("a\"b\\c\n\u{1}é")
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #""a\"b\\c\n\u0001é""#)
    }
}
