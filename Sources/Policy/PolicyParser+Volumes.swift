import AdmissionAPI
import Yams

extension PolicyParser {
    /// A class's `models: {sources: [...], requirePinned: bool}`. Each source is a URI prefix with a known scheme
    /// and nothing that pins (a source names a place, the model names the version).
    func parseModelSources(_ node: Node, context: String) -> ModelSources? {
        guard let fields = fields(of: node, named: "\(context) models", allowed: ["sources", "requirePinned"]),
            let sourcesNode = require("sources", in: fields, of: node, named: "\(context) models"),
            let sources = strings(sourcesNode, "\(context) models.sources")
        else { return nil }
        for source in sources {
            let scheme = source.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            let rest = source.dropFirst(scheme.count)
            if !ModelSources.schemes.contains(scheme) || !rest.hasPrefix("://") || rest.count <= 3 {
                report(
                    "\(context) models.sources entry \"\(source)\" must be a URI prefix with scheme "
                        + ModelSources.schemes.joined(separator: ", ") + " (oci:// models follow the image rules)",
                    at: sourcesNode)
            } else if source.contains(where: { "@?#".contains($0) }) || ModelURI.hasDotSegment(source) {
                report(
                    "\(context) models.sources entry \"\(source)\" must name a place, without a version (@, ?, #)"
                        + " or . and .. segments",
                    at: sourcesNode)
            }
        }
        var models = ModelSources(sources: sources)
        if let pinned = fields["requirePinned"], let value = bool(pinned, "\(context) models.requirePinned") {
            models.requirePinned = value
        }
        return models
    }

    /// `imageVolumeDrivers: {driver: attribute}`: CSI drivers whose inline volumes mount an image, and which
    /// `volumeAttributes` key names it. Absent: ``PolicyDocument/defaultImageVolumeDrivers``; `{}` turns it off.
    func parseImageVolumeDrivers(_ node: Node) -> [String: String] {
        var drivers: [String: String] = [:]
        guard let entries = pairs(of: node, named: "imageVolumeDrivers") else { return drivers }
        for (driver, keyNode, value) in entries {
            if driver.isEmpty { report("imageVolumeDrivers: a driver name may not be empty", at: keyNode) }
            guard let attribute = string(value, "imageVolumeDrivers.\(driver)") else { continue }
            if attribute.isEmpty {
                report(
                    "imageVolumeDrivers.\(driver) is empty; name the volumeAttributes key that holds the image",
                    at: value)
            }
            drivers[driver] = attribute
        }
        return drivers
    }

    /// A class's `inlineCSIDrivers`: the CSI drivers its pods may use for inline volumes (`[]`: none).
    func parseInlineCSIDrivers(_ node: Node, context: String) -> [String]? {
        guard let drivers = strings(node, "\(context) inlineCSIDrivers") else { return nil }
        if drivers.contains(where: \.isEmpty) { report("\(context) inlineCSIDrivers contains an empty name", at: node) }
        return drivers
    }

    /// A class's `forbidVolumeTypes`: names of volume sources as Kubernetes spells them.
    func parseVolumeTypes(_ node: Node, context: String) -> [String] {
        guard let types = strings(node, "\(context) forbidVolumeTypes") else { return [] }
        for type in types where !Volume.sourceTypes.contains(type) {
            report(
                "\(context) forbidVolumeTypes entry \"\(type)\" is not a volume source (e.g. hostPath, nfs, iscsi,"
                    + " csi)",
                at: node)
        }
        return types
    }
}
