import Testing

@testable import Signatures

/// RFC 8785 output for the shapes Rekor signs; a single differing byte would make every SET fail to verify.
@Suite struct KeylessCanonicalJSONTests {
    @Test func membersAreSortedByUTF16CodeUnitsWithoutWhitespace() {
        // By scalar value U+FB33 precedes U+1F600, but in UTF-16 U+1F600 is D83D DE00, which precedes FB33; RFC 8785
        // §3.2.3 wants the UTF-16 order.
        let value = CanonicalJSON.object([
            "\u{FB33}": .integer(1), "\u{1F600}": .integer(2), "b": .array([.bool(true), .null]), "a": .string("x"),
        ])
        #expect(
            String(decoding: value.bytes, as: UTF8.self)
                == "{\"a\":\"x\",\"b\":[true,null],\"\u{1F600}\":2,\"\u{FB33}\":1}")
    }

    @Test func stringsAreEscapedAsECMAScriptDoes() {
        let value = CanonicalJSON.string("q\"b\\\u{8}\u{C}\n\r\t\u{1}\u{1F}/é€")
        #expect(String(decoding: value.bytes, as: UTF8.self) == #""q\"b\\\b\f\n\r\t\u0001\u001f/é€""#)
    }

    @Test func rekorPayloadMatchesTheSignedBytes() {
        let value = CanonicalJSON.object([
            "logIndex": .integer(8_949_589), "logID": .string("c0d2"), "integratedTime": .integer(1_670_870_899),
            "body": .string("eyJ9"),
        ])
        #expect(
            String(decoding: value.bytes, as: UTF8.self)
                == #"{"body":"eyJ9","integratedTime":1670870899,"logID":"c0d2","logIndex":8949589}"#)
    }
}
