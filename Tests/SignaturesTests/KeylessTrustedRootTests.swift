import Foundation
import Testing

@testable import Signatures

/// Trust material that is broken in any way is refused whole, with a message naming the file and the field.
@Suite struct KeylessTrustedRootTests {
    static let good = FixtureData.text("keyless/sigstore-public-good-trusted_root.json")

    @Test(arguments: [
        ("not JSON", "{", "is not a JSON object"),
        ("other media type", good.replacingOccurrences(of: "sigstore.trustedroot", with: "other"), "mediaType"),
        ("certificate not base64", good.replacingOccurrences(of: "MIIB+DCC", with: "!!!!"), "without base64 rawBytes"),
        (
            "certificate not DER", good.replacingOccurrences(of: "MIIB+DCC", with: "AAAAAAAA"),
            "certificateAuthorities[0]"
        ),
        ("bad validity", good.replacingOccurrences(of: "2022-04-13T20:06:15Z", with: "last spring"), "not RFC 3339"),
        (
            "log key not a key", good.replacingOccurrences(of: "MFkwEwYHKoZIzj0CAQYI", with: "AAAAAAAAAAAAAAAAAAAA"),
            "tlogs[0]"
        ),
        (
            "no logs", #"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[]}"#,
            "at least one certificate authority and one transparency log"
        ),
    ])
    func brokenTrustedRootsAreRefused(name: String, text: String, expected: String) {
        let error = #expect(throws: TrustedRoot.LoadError.self, "\(name)") {
            try TrustedRoot(json: Array(text.utf8), source: "root.json")
        }
        #expect(error?.message.contains(expected) == true, "\(name): \(error?.message ?? "loaded")")
    }

    @Test func missingPEMFilesAreNamed() {
        let error = #expect(throws: TrustedRoot.LoadError.self) {
            try TrustedRoot.load(fulcioChainFile: "/nonexistent/chain.pem", rekorKeyFiles: [])
        }
        #expect(error?.message.contains("/nonexistent/chain.pem") == true)
    }

    @Test func policyTextSelectsExactOrAnchoredPattern() throws {
        #expect(try IdentityMatcher(policyText: "ci@corp.example") == .exact("ci@corp.example"))
        let pattern = try IdentityMatcher(policyText: #"regex:ci-\d+@corp\.example"#)
        #expect(pattern.matches("ci-42@corp.example"))
        #expect(!pattern.matches("ci-42@corp.example.evil"))
        #expect(throws: IdentityMatcher.PatternError.self) { try IdentityMatcher(policyText: "regex:(") }
    }
}
