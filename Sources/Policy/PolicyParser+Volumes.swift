import Yams

extension PolicyParser {
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
}
