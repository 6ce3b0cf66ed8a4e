import Testing

@testable import AdmissionAPI

/// Most of a review is members no rule reads (managedFields, annotations, env), which the reader skips on its
/// fast path. Skipping must still validate: a value that is not JSON is refused wherever it sits, with the same
/// message as where it is read, and every valid value skips to exactly its end.
@Suite struct SkippedValueTests {
    /// A review whose request has the member `x` (never read) with the given value, then `uid` after it, so a
    /// skip that stops short or runs long shows as a wrong or missing uid.
    static func review(skipped value: String) -> [UInt8] {
        Array(
            #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"x":\#(value),"uid":"after","operation":"CREATE","kind":{"group":"","version":"v1","kind":"Pod"}}}"#
                .utf8)
    }

    static let valid: [String] = [
        "0", "-0", "12", "-12.5e+3", "1E9", "0.25", "true", "false", "null",
        #""""#, #""a""#, #""exactly8""#, #""sixteen bytes ok""#, #""with \"escaped\" quotes""#, #""\\""#,
        #""\u00e9\ud83d\ude80\/\b\f\n\r\t""#, "\"caf\u{E9} \u{1F680} \u{4E2D}\"",
        "{}", "[]", "[[]]", "[{}]", #"{"a":{}}"#, #"{"a":[1,"b",{"c":null}],"d":true}"#,
        #"{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"k:{\"name\":\"c\"}":{".":{}}}"#,
        " { \"a\" : [ 1 , 2 ] , \"b\" : { } } ", "\t[\n1\r\n]",
        "[" + String(repeating: "\"0123456789abcdef\",", count: 40) + "1]",
        String(repeating: "[", count: 120) + String(repeating: "]", count: 120),
        // The review and request objects are two levels: 126 more is the limit, the innermost one empty.
        String(repeating: "[", count: 125) + "{}" + String(repeating: "]", count: 125),
        String(repeating: "[", count: 125) + "[]" + String(repeating: "]", count: 125),
        #"[{},[],{ },[ ],{"a":{}},[[],[{}]]]"#,
        #"{"a":{},"b":"c","d":{ },"e" : {} ,"f":"","g":{"h":{}}}"#, #"{"a":"\"{}\"","b":"{}"}"#,
        // The innermost member's empty object is the 128th level.
        String(repeating: "[", count: 124) + #"{"a":{}}"# + String(repeating: "]", count: 124),
    ]

    @Test(arguments: valid)
    func validValueSkipsToItsEnd(value: String) throws {
        let request = try AdmissionReviewCodec.decodeRequest(Self.review(skipped: value))
        #expect(request.uid == "after")
    }

    static let invalid: [(value: String, mentions: String)] = [
        ("", "expected a value"), ("tru", "invalid literal"), ("nul", "invalid literal"), ("falsy", "invalid literal"),
        ("01", "leading zero"), ("1.", "bare '.'"), ("1e", "exponent"), ("-", "invalid number"),
        ("+1", "unexpected character"),
        ("1" + String(repeating: "0", count: 300), "limit is 256"),
        ("\"a\u{1}b\"", "control character"), ("\"tab\there\"", "control character"),
        (#""\x""#, "invalid escape"), (#""\u12g4""#, "hex digit"), (#""\ud800""#, "surrogate"),
        (#""\udc00""#, "surrogate"),
        (#""\ud800\u0041""#, "surrogate pair"), ("[1,]", "expected a value"), ("[1 2]", "expected ',' or ']'"),
        (#"{"a":1,}"#, "quoted object key"), (#"{"a" 1}"#, "expected ':'"), (#"{"a":1]"#, "expected ',' or '}'"),
        ("[1}", "expected ',' or ']'"), ("{1:2}", "quoted object key"), ("[", "expected a value"),
        (#"{"a":"#, "expected a value"),
        (String(repeating: "[", count: 129) + String(repeating: "]", count: 129), "nesting deeper than 128"),
        (String(repeating: "[", count: 126) + "{}" + String(repeating: "]", count: 126), "nesting deeper than 128"),
        ("{]", "quoted object key"), ("[}", "expected a value"),
        (#"{"a":{}"#, "unexpected end of input"), (#"{"a":{]}"#, "quoted object key"),
        (#"{"a":"b" "c"}"#, "expected ','"),
        (#"{"a":{},}"#, "quoted object key"), (#"{"a":"b"]"#, "expected ',' or '}'"), (#"{"a":}"#, "expected a value"),
        (String(repeating: "[", count: 125) + #"{"a":{}}"# + String(repeating: "]", count: 125), "nesting deeper"),
    ]

    @Test(arguments: invalid)
    func invalidValueIsRefused(value: String, mentions: String) {
        let error = #expect(throws: AdmissionDecodingError.self) {
            try AdmissionReviewCodec.decodeRequest(Self.review(skipped: value))
        }
        #expect(error?.message.contains(mentions) == true, "\(error?.message ?? "")")
    }

    /// Bytes no literal in Swift source can hold: invalid UTF-8 in a skipped string, at every offset from the
    /// string's start (a word-at-a-time scan must not step over a bad byte whatever the alignment).
    @Test func invalidUTF8IsFoundAtEveryAlignment() {
        for bad: [UInt8] in [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            for offset in 0..<17 {
                let value = [0x22] + Array(repeating: UInt8(ascii: "a"), count: offset) + bad + [0x22]
                let input = Self.review(skipped: "@").split(
                    separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
                let bytes = Array(input[0]) + value + Array(input[1])
                let error = #expect(throws: AdmissionDecodingError.self) {
                    try AdmissionReviewCodec.decodeRequest(bytes)
                }
                #expect(error?.message.contains("UTF-8") == true, "offset \(offset): \(error?.message ?? "")")
            }
        }
    }

    static let escapes: [(escape: String, valid: String?)] = [
        (#"\""#, nil), (#"\\"#, nil), (#"\/"#, nil), (#"\b\f\n\r\t"#, nil), (#"\u00e9"#, nil),
        (#"\ud83d\ude80"#, nil), (#"\\\""#, nil), (#"\x"#, "invalid escape"), (#"\u12g4"#, "hex digit"),
        (#"\ud800"#, "surrogate"), (#"\'"#, "invalid escape"), ("\\\u{1}", "invalid escape"),
        ("\\n\u{1}", "control character"),
    ]

    /// Escapes are skipped a word at a time too: each one at every offset from the string's start (so the
    /// backslash and what it escapes fall on either side of a word boundary), in a skipped value and in a
    /// skipped key, must skip to the string's end or be refused as a read string would be.
    @Test(arguments: escapes)
    func escapesAreSkippedExactlyAtEveryAlignment(escape: String, valid mentions: String?) throws {
        for offset in 0..<17 {
            let string = "\"" + String(repeating: "a", count: offset) + escape + "tail\""
            for value in [string, "[" + string + "]", "{" + string + ":{}}", "{" + string + ":" + string + "}"] {
                let input = Self.review(skipped: value)
                if let mentions {
                    let error = #expect(throws: AdmissionDecodingError.self, "\(value)") {
                        try AdmissionReviewCodec.decodeRequest(input)
                    }
                    #expect(error?.message.contains(mentions) == true, "\(value): \(error?.message ?? "")")
                } else {
                    #expect(try AdmissionReviewCodec.decodeRequest(input).uid == "after", "\(value)")
                }
            }
        }
    }

    /// A string that ends in the input's last bytes, where no whole word is left to load.
    @Test func stringsEndingNearTheEndOfInputAreScanned() throws {
        for length in 0..<20 {
            let name = String(repeating: "n", count: length)
            let input = Array(
                #"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u","operation":"CREATE","kind":{"group":"","version":"v1","kind":"Pod"},"x":"\#(name)"}}"#
                    .utf8)
            #expect(try AdmissionReviewCodec.decodeRequest(input).uid == "u")
            let cut = Array(input.dropLast(2 + min(length, 1)))
            #expect(throws: AdmissionDecodingError.self) { try AdmissionReviewCodec.decodeRequest(cut) }
        }
    }
}
