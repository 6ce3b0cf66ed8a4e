import Foundation
import Testing

@testable import Audit

/// The `caller` member of a decision line: added within schema v1, so it comes last and older lines lack it.
@Suite struct AuditRecordCallerTests {
    @Test("caller is the last member, certificate facts in a fixed order, and it decodes back")
    func certificateCaller() throws {
        var record = Fixtures.record(1)
        record.reason = "ClassConflict: x"
        record.caller = .certificate(
            peer: "10.0.0.2:51234", subject: "CN=kube-apiserver,O=corp", issuer: "CN=webhook-client-ca",
            fingerprint: "sha256:" + String(repeating: "0f", count: 32))
        let members = String(decoding: record.encodedMembers(), as: UTF8.self)
        #expect(
            members.hasSuffix(
                #","reason":"ClassConflict: x","caller":{"auth":"certificate","peer":"10.0.0.2:51234","#
                    + #""subject":"CN=kube-apiserver,O=corp","issuer":"CN=webhook-client-ca","fingerprint":"sha256:"#
                    + String(repeating: "0f", count: 32) + #""}"#))
        #expect(try JSONDecoder().decode(AuditRecord.self, from: Data(("{" + members + "}").utf8)) == record)
    }

    @Test("an unauthenticated caller has only its peer; a line without caller still decodes")
    func unauthenticatedAndAbsent() throws {
        var record = Fixtures.record(2)
        record.caller = .unauthenticated(peer: "[fd00::7]:443")
        let members = String(decoding: record.encodedMembers(), as: UTF8.self)
        #expect(members.hasSuffix(#""caller":{"auth":"unauthenticated","peer":"[fd00::7]:443"}"#))
        #expect(record.caller?.isAuthenticated == false)
        let older = "{" + String(decoding: Fixtures.record(3).encodedMembers(), as: UTF8.self) + "}"
        #expect(!older.contains("caller"))
        #expect(try JSONDecoder().decode(AuditRecord.self, from: Data(older.utf8)).caller == nil)
    }
}
