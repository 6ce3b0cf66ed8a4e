import AdmissionAPI
import JSONText
import Yams

/// Splits the input of `portcullis evaluate` into JSON documents: JSON is read by the strict JSON reader as is
/// (several documents separated by `---` lines, like YAML's); a YAML stream is split at `---` and each document
/// converted to JSON, so
/// manifests and AdmissionReviews reach the same decoder the webhook uses.
enum ManifestDocuments {
    /// Why the input could not be split into documents.
    struct InputError: Error {
        var message: String
    }

    static func split(_ input: [UInt8]) throws(InputError) -> [[UInt8]] {
        let first = input.first { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }
        if first == UInt8(ascii: "{") { return jsonDocuments(input) }
        guard let text = String(validating: input, as: UTF8.self) else {
            throw InputError(message: "the input is neither JSON nor valid UTF-8 YAML")
        }
        var documents: [[UInt8]] = []
        do {
            // Parser.nextRoot, not compose_all: its sequence ends silently at a syntax error, which would
            // let a broken third document pass CI unevaluated.
            let parser = try Parser(yaml: text)
            while let node = try parser.nextRoot() {
                if case .scalar(let scalar) = node, scalar.string.isEmpty || node.tag.rawValue == Tag.Name.null.rawValue
                {
                    continue
                }
                var writer = JSONWriter()
                try write(node, to: &writer)
                documents.append(writer.bytes)
            }
        } catch let error as InputError {
            throw error
        } catch let error as YamlError {
            let (line, column, message) = error.positioned
            throw InputError(message: "line \(line), column \(column): \(message)")
        } catch {
            throw InputError(message: "invalid YAML: \(error)")
        }
        return documents
    }

    /// JSON documents separated as YAML separates documents, by a line that is `---` alone (what
    /// `kubectl … -o json` output joined by a CI script looks like). A JSON string cannot hold a raw line break,
    /// so such a line can only be a separator; each document is then read by the strict reader as is.
    private static func jsonDocuments(_ input: [UInt8]) -> [[UInt8]] {
        var documents: [[UInt8]] = []
        var start = 0
        var lineStart = 0
        func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool { bytes.allSatisfy { [0x20, 0x0A, 0x0D, 0x09].contains($0) } }
        for index in input.indices where input[index] == 0x0A || index == input.count - 1 {
            let lineEnd = input[index] == 0x0A ? index : index + 1
            var line = input[lineStart..<lineEnd]
            while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line = line.dropLast() }
            if line.elementsEqual("---".utf8) {
                if !isBlank(input[start..<lineStart]) { documents.append(Array(input[start..<lineStart])) }
                start = index + 1
            }
            lineStart = index + 1
        }
        if start < input.count, !isBlank(input[start...]) { documents.append(Array(input[start...])) }
        return documents
    }

    private static func write(_ node: Node, to writer: inout JSONWriter) throws(InputError) {
        switch node {
        case .mapping(let mapping):
            writer.beginObject()
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    throw InputError(message: "line \(key.mark?.line ?? 0): mapping keys must be scalars")
                }
                writer.key(name)
                try write(value, to: &writer)
            }
            writer.endObject()
        case .sequence(let sequence):
            writer.beginArray()
            for item in sequence { try write(item, to: &writer) }
            writer.endArray()
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: writer.null()
            case Tag.Name.bool.rawValue: writer.bool(node.bool ?? false)
            case Tag.Name.int.rawValue:
                guard let value = node.int else {
                    throw InputError(
                        message: "line \(scalar.mark?.line ?? 0): integer \(scalar.string) is out of range")
                }
                writer.int(value)
            case Tag.Name.float.rawValue:
                guard let value = node.float, value.isFinite else {
                    throw InputError(message: "line \(scalar.mark?.line ?? 0): \(scalar.string) is not a finite number")
                }
                writer.number(value)
            default:
                writer.string(scalar.string)
            }
        case .alias:
            throw InputError(message: "line \(node.mark?.line ?? 0): YAML aliases are not supported in manifests")
        }
    }
}
