import Testing

@testable import Signatures

/// The registry's OCI JSON as the fetcher reads it: what is taken, what is skipped, what is refused.
@Suite struct OCIManifestJSONTests {
    static let a = "sha256:" + String(repeating: "a", count: 64)
    static let b = "sha256:" + String(repeating: "b", count: 64)
    static let bundle = "application/vnd.dev.sigstore.bundle.v0.3+json"

    static let referrerCases: [(json: String, expected: [OCIManifestJSON.Referrer]?)] = [
        ("[]", nil),
        ("not json", nil),
        (#"{}"#, []),
        (#"{"manifests":"all"}"#, []),
        (
            #"{"manifests":[{"digest":"\#(a)","artifactType":"\#(bundle)","annotations":{"dev.sigstore.bundle.predicateType":"https://slsa.dev/provenance/v1"}}]}"#,
            [.init(digest: a, artifactType: bundle, predicateType: "https://slsa.dev/provenance/v1")]
        ),
        // A junk entry, a sha512 digest and a short one are skipped; the valid entry beside them is still read.
        (
            #"{"manifests":[7,{"digest":"sha512:\#(String(repeating: "a", count: 128))"},{"digest":"sha256:ab"},{"digest":"\#(b)","artifactType":3,"annotations":{"dev.sigstore.bundle.predicateType":5}}]}"#,
            [.init(digest: b, artifactType: nil, predicateType: nil)]
        ),
    ]

    @Test(arguments: referrerCases)
    func referrersList(json: String, expected: [OCIManifestJSON.Referrer]?) {
        #expect(OCIManifestJSON.referrers(Array(json.utf8)) == expected)
    }

    static let layerCases: [(json: String, expected: Result<[OCIManifestJSON.Layer], OCIManifestJSON.LayersProblem>)] =
        [
            ("[]", .failure(.notAManifest)),
            (#"{"layers":{}}"#, .failure(.notAManifest)),
            (#"{"layers":[]}"#, .success([])),
            (
                #"{"layers":[{"mediaType":"m","digest":"\#(a)","size":12,"annotations":{"k":"v"}}]}"#,
                .success([.init(mediaType: "m", digest: a, size: 12, annotations: ["k": "v"])])
            ),
            // Annotations that are not all strings read as none; a size that is not an integer as 0.
            (
                #"{"layers":[{"mediaType":"m","digest":"\#(a)","size":"12","annotations":{"k":1}}]}"#,
                .success([.init(mediaType: "m", digest: a, size: 0, annotations: [:])])
            ),
            (#"{"layers":[{"mediaType":"m","digest":"\#(a)"},{"digest":"\#(b)"}]}"#, .failure(.badLayer)),
            (#"{"layers":[{"mediaType":"m","digest":"sha256:zz"}]}"#, .failure(.badLayer)),
        ]

    @Test(arguments: layerCases)
    func manifestLayers(json: String, expected: Result<[OCIManifestJSON.Layer], OCIManifestJSON.LayersProblem>) {
        #expect(OCIManifestJSON.layers(Array(json.utf8)) == expected)
    }

    @Test func manifestPredicateType() {
        let labelled = #"{"annotations":{"dev.sigstore.bundle.predicateType":"https://spdx.dev/Document"}}"#
        #expect(OCIManifestJSON.predicateType(ofManifest: Array(labelled.utf8)) == "https://spdx.dev/Document")
        #expect(OCIManifestJSON.predicateType(ofManifest: Array(#"{"annotations":{}}"#.utf8)) == nil)
        #expect(OCIManifestJSON.predicateType(ofManifest: Array("null".utf8)) == nil)
    }
}
