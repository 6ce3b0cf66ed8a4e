import Foundation
import Testing

@testable import Signatures

/// A trusted root as the public-good one reads since Rekor v2 and the sigstore TSA joined it: an Ed25519 Rekor v2
/// log next to the v1 log, and a timestamp authority. Built from the public-good fixture plus this repository's
/// own log key and TSA root (`rekor2/`, `tsa/`), in the public file's shape.
@Suite struct KeylessModernTrustedRootTests {
    static func der(pem name: String) -> String {
        FixtureData.text(name).split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    }

    static func modern(tsaCertificates: String? = nil) -> String {
        var text = FixtureData.text("keyless/sigstore-public-good-trusted_root.json")
        let rekorV2 = """
            {"baseUrl": "https://log2025-1.rekor.local", "hashAlgorithm": "SHA2_256",
             "publicKey": {"rawBytes": "\(der(pem: "rekor2/log-ed25519.pub"))", "keyDetails": "PKIX_ED25519",
                           "validFor": {"start": "2025-09-23T00:00:00Z"}},
             "logId": {"keyId": "AAAA"}},
            """
        let tsa = """
            "timestampAuthorities": [{"subject": {"organization": "Portcullis test", "commonName": "trusted TSA"},
              "uri": "https://timestamp.local/api/v1/timestamp",
              "certChain": {"certificates": [\(tsaCertificates ?? "{\"rawBytes\": \"\(der(pem: "tsa/trusted-root.pem"))\"}")]},
              "validFor": {"start": "2025-07-04T00:00:00Z"}}],
            """
        text = text.replacingOccurrences(of: "\"tlogs\": [", with: "\"tlogs\": [" + rekorV2)
        return text.replacingOccurrences(of: "\"tlogs\":", with: tsa + "\"tlogs\":")
    }

    @Test func loadsRekorV2LogsAndTimestampAuthorities() throws {
        let text = Self.modern()
        #expect(text.contains("PKIX_ED25519") && text.contains("timestampAuthorities"))
        let root = try TrustedRoot(json: Array(text.utf8), source: "modern.json")
        #expect(root.transparencyLogs.contains { $0.key.algorithm == .ed25519 })
        #expect(root.timestampAuthorities.count == 1)
        #expect(root.timestampAuthorities.first?.root.subject.contains("CN=trusted TSA root") == true)
        #expect(root.timestampAuthorities.first?.validFrom == TrustedRoot.epochSeconds("2025-07-04T00:00:00Z"))
        // A rotated TSA changes what cached verdicts are keyed by.
        let without = try TrustedRoot(
            json: Array(FixtureData.text("keyless/sigstore-public-good-trusted_root.json").utf8), source: "old.json")
        #expect(root.fingerprint != without.fingerprint)
    }

    @Test(arguments: [
        ("", "timestampAuthorities[0] has no certificates"), ("{\"rawBytes\": \"AAAA\"}", "timestampAuthorities[0]"),
    ])
    func brokenTimestampAuthoritiesAreRefusedByPosition(certificates: String, expected: String) {
        let error = #expect(throws: TrustedRoot.LoadError.self) {
            try TrustedRoot(json: Array(Self.modern(tsaCertificates: certificates).utf8), source: "modern.json")
        }
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "loaded")")
    }
}
