import Foundation
import PortcullisCrypto
import Testing

/// RFC 3161 responses made by `openssl ts -reply` (`Tests/Support/signer/make_tsa_fixtures.py`), and each way one can fail
/// to prove a time: other data, a TSA nobody trusts, a TSA certificate not valid at the token's time, junk.
@Suite struct TimestampResponseTests {
    static let document: (made: String, tokens: [String: String]) = {
        let root = try! JSONSerialization.jsonObject(with: Data(FixtureData.bytes("tsa/tokens.json"))) as! [String: Any]
        return (root["made"] as! String, root["tokens"] as! [String: String])
    }()
    static let data = FixtureData.bytes("tsa/data.bin")

    static func token(_ name: String) -> [UInt8] {
        [UInt8](Data(base64Encoded: document.tokens[name]!)!)
    }

    static func root(_ name: String) throws -> Certificate {
        try Certificate.pemCertificates(FixtureData.bytes("tsa/\(name)-root.pem"))[0]
    }

    static func failure(_ result: Result<Void, TimestampResponse.Failure>) -> String {
        guard case .failure(let failure) = result else { return "verified" }
        return failure.message
    }

    @Test func aTokenOverTheDataByATrustedTSAVerifiesAndGivesItsTime() throws {
        let response = try TimestampResponse(der: Self.token("good"), source: "good")
        #expect(Self.failure(response.verify(data: Self.data, roots: [try Self.root("trusted")])) == "verified")
        let made = Int(ISO8601DateFormatter().date(from: Self.document.made)!.timeIntervalSince1970)
        #expect(abs(response.time - made) < 120)
    }

    /// Each row: a token, the data and root it is checked with, and the words OpenSSL's verdict must contain.
    @Test(arguments: [
        ("other-data", "trusted", false, "message imprint mismatch"),
        ("good", "trusted", true, "message imprint mismatch"),
        ("stranger", "trusted", false, "self-signed certificate in certificate chain"),
        ("good", "stranger", false, "self-signed certificate in certificate chain"),
        ("not-yet-valid", "trusted", false, "certificate is not yet valid"),
    ])
    func eachUnprovenTimeIsDeniedWithItsReason(token: String, root: String, otherData: Bool, words: String) throws {
        let response = try TimestampResponse(der: Self.token(token), source: token)
        let data = otherData ? Self.data + [0] : Self.data
        let message = Self.failure(response.verify(data: data, roots: [try Self.root(root)]))
        #expect(message.contains("the RFC 3161 timestamp \(token) does not verify"), "\(message)")
        #expect(message.contains(words), "\(message)")
    }

    @Test(arguments: [[UInt8](), [0x30, 0x03, 0x02, 0x01, 0x00], Array("not a token".utf8)])
    func junkIsRefusedNotCrashed(der: [UInt8]) {
        #expect(throws: TimestampResponse.Failure.self) { try TimestampResponse(der: der, source: "junk") }
    }

    @Test func aTruncatedTokenIsRefused() {
        #expect(throws: TimestampResponse.Failure.self) {
            try TimestampResponse(der: Array(Self.token("good").dropLast(40)), source: "truncated")
        }
    }
}
