import Foundation
import JSONText
import Testing

/// The one JSON writer behind responses, audit lines and logs: whatever a string holds, the output is valid JSON
/// that reads back to the same value, on one line.
@Suite struct JSONWriterTests {
    static let strings = [
        "", "plain", "quote \" inside", "back\\slash", "line\nbreak", "tab\tand\rreturn", "nul \u{0} and \u{1f}",
        "del \u{7f}", "é, 中文, 🚀", "\u{2028} line separator", "</script>",
    ]

    @Test(arguments: strings)
    func stringsRoundTripThroughAnIndependentParser(value: String) throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.member("k", string: value)
        writer.endObject()
        let bytes = writer.bytes
        #expect(
            !bytes.contains(0x0A) && !bytes.contains(0x0D),
            "a raw line break in \(String(decoding: bytes, as: UTF8.self))")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: String])
        #expect(object["k"] == value)
    }

    /// Plain runs are skipped a word at a time: a byte to escape at every offset of a long string (and a
    /// non-ASCII one, which must pass through) comes out exactly as escaped, whatever its alignment.
    @Test func everyEscapeIsFoundAtEveryAlignment() throws {
        let escaped: [(raw: String, written: String)] = [
            ("\"", #"\""#), ("\\", #"\\"#), ("\n", #"\n"#), ("\r", #"\r"#), ("\t", #"\t"#), ("\u{0}", #"\u0000"#),
            ("\u{1f}", #"\u001f"#), ("\u{7f}", #"\u007f"#), ("é", "é"), (" ", " "), ("~", "~"),
        ]
        for (raw, written) in escaped {
            for offset in 0..<20 {
                for after in [0, 1, 7, 8, 9] {
                    let head = String(repeating: "a", count: offset)
                    let tail = String(repeating: "b", count: after)
                    var bytes: [UInt8] = []
                    JSONWriter.appendQuoted(head + raw + tail + raw, to: &bytes)
                    let expected = "\"" + head + written + tail + written + "\""
                    #expect(String(decoding: bytes, as: UTF8.self) == expected, "offset \(offset), after \(after)")
                }
            }
        }
    }

    @Test func containersNumbersAndLiteralsAreWellFormed() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("a")
        writer.beginArray()
        writer.int(-3)
        writer.number(2.5)
        writer.number(1e20)
        writer.bool(true)
        writer.null()
        writer.string("x")
        writer.endArray()
        writer.key("empty")
        writer.beginObject()
        writer.endObject()
        writer.endObject()
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text == #"{"a":[-3,2.5,1e+20,true,null,"x"],"empty":{}}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(writer.bytes)) is [String: Any])
    }
}
