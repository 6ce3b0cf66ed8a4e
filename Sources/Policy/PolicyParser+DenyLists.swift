import AdmissionAPI
import Yams

extension PolicyParser {
    /// A class's `deniedRegistries` (registry prefixes, as `registries`), `deniedImages` (normalised references:
    /// repository, repository:tag or repository@digest) and `deniedTags` (tags, or prefixes ending in `*`). An empty
    /// list is refused: it denies nothing, so it is most likely a mistake.
    func parseDenyLists(_ fields: [String: Node], into dataClass: inout DataClass, context: String) {
        for key in ["deniedRegistries", "deniedImages", "deniedTags"] {
            guard let node = fields[key], let entries = strings(node, "\(context) \(key)") else { continue }
            if entries.isEmpty { report("\(context) \(key) is empty; list what to deny, or omit it", at: node) }
            for (offset, entry) in entries.enumerated() {
                let at = sequence(node, "")?[offset]
                let name = "\(context) \(key)[\(offset)] \(entry.quotedForMessage)"
                switch key {
                case "deniedRegistries":
                    do {
                        dataClass.deniedRegistries.append(try ImageReference.parseRegistryPrefix(entry))
                    } catch {
                        report("\(name): \(error.reason)", at: at)
                    }
                case "deniedImages":
                    do {
                        let reference = try ImageReference.parse(entry)
                        guard reference.description == entry else {
                            report(
                                "\(name) must be written normalised, as \(reference.description.quotedForMessage)",
                                at: at)
                            continue
                        }
                        dataClass.deniedImages.append(reference)
                    } catch {
                        report("\(name): \(error.reason)", at: at)
                    }
                default:
                    let tag = entry.hasSuffix("*") ? entry.dropLast() : Substring(entry)
                    guard !tag.isEmpty, tag.count <= 128,
                        !tag.contains(where: { ":@/*".contains($0) || $0.isWhitespace })
                    else {
                        report(
                            "\(name) must be a tag (letters, digits, '_', '.', '-'), or a prefix ending in '*'", at: at)
                        continue
                    }
                    dataClass.deniedTags.append(entry)
                }
            }
        }
    }
}
