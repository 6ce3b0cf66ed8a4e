import Yams

/// `portcullis policy lint --cluster-storage FILE`: evidence that each class's allowed StorageClasses keep data in
/// the class's zones and regions, read from a `kubectl get storageclass -o yaml` dump, so admission itself never
/// reads the cluster (policy stays a pure function of the request).
///
/// A StorageClass says where it provisions in `allowedTopologies`: terms ORed, each a list of
/// `matchLabelExpressions` (`key`, `values`) ANDed. A class with zones needs every term to name only those zones;
/// a class with regions, only zones in those regions (``PolicyDocument/region(ofZone:)``: the policy's `zoneRegions`,
/// else the clouds' naming) or those regions themselves.
public enum ClusterStorageReview {
    /// A StorageClass as the review needs it.
    public struct StorageClass: Sendable, Equatable {
        public var name: String
        /// Each term's zone values and region values (nil: the term does not constrain that label).
        public var terms: [(zones: [String]?, regions: [String]?)]

        public static func == (lhs: StorageClass, rhs: StorageClass) -> Bool {
            lhs.name == rhs.name
                && lhs.terms.elementsEqual(rhs.terms) { $0.zones == $1.zones && $0.regions == $1.regions }
        }
    }

    /// One finding: an error (the class's data could land outside it, or the class names a StorageClass the
    /// cluster does not have) or a warning (nothing in the StorageClass says where it provisions).
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        public var isError: Bool
        public var message: String
        public var description: String { (isError ? "error: " : "warning: ") + message }
    }

    /// Why the dump could not be read.
    public struct InputError: Error, CustomStringConvertible {
        public var description: String
    }

    static let zoneKeys = [
        "topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone", "topology.gke.io/zone",
    ]
    static let regionKeys = ["topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"]

    /// The StorageClasses of a dump: a `List`, a single StorageClass, or several YAML documents.
    public static func parse(yaml: String) throws(InputError) -> [StorageClass] {
        var nodes: [Node] = []
        do {
            let parser = try Parser(yaml: yaml)
            while let node = try parser.nextRoot() { nodes.append(node) }
        } catch {
            throw InputError(description: "cannot read the StorageClass dump as YAML: \(error)")
        }
        var classes: [StorageClass] = []
        for node in nodes {
            let items =
                node["kind"]?.string == "List" || node["kind"]?.string == "StorageClassList"
                ? Array(node["items"]?.sequence ?? []) : [node]
            for item in items where item["kind"]?.string == "StorageClass" {
                guard let name = item["metadata"]?["name"]?.string else {
                    throw InputError(description: "a StorageClass without metadata.name")
                }
                let terms = (item["allowedTopologies"]?.sequence ?? []).map { term in
                    var zones: [String]?
                    var regions: [String]?
                    for expression in term["matchLabelExpressions"]?.sequence ?? [] {
                        let key = expression["key"]?.string ?? ""
                        let values = (expression["values"]?.sequence ?? []).compactMap(\.string)
                        if zoneKeys.contains(key) { zones = (zones ?? []) + values }
                        if regionKeys.contains(key) { regions = (regions ?? []) + values }
                    }
                    return (zones, regions)
                }
                classes.append(StorageClass(name: name, terms: terms))
            }
        }
        return classes
    }

    public static func review(_ storageClasses: [StorageClass], policy: PolicyDocument) -> [Finding] {
        let byName = Dictionary(storageClasses.map { ($0.name, $0) }) { first, _ in first }
        var findings: [Finding] = []
        for dataClass in policy.classNames.compactMap({ policy.classes[$0] }) {
            guard let allowed = dataClass.storageClasses else { continue }
            let who = "class \(dataClass.name.quotedForMessage)"
            for name in allowed where !name.isEmpty {
                guard let storageClass = byName[name] else {
                    findings.append(
                        Finding(
                            isError: true,
                            message:
                                "\(who) allows storage class \(name.quotedForMessage), which the cluster does not have")
                    )
                    continue
                }
                guard !dataClass.zones.isEmpty || !dataClass.regions.isEmpty else { continue }
                guard !storageClass.terms.isEmpty else {
                    findings.append(
                        Finding(
                            isError: false,
                            message: "\(who): storage class \(name.quotedForMessage) has no allowedTopologies, so it"
                                + " may provision anywhere; restrict it to " + place(of: dataClass)))
                    continue
                }
                for (index, term) in storageClass.terms.enumerated() {
                    if let outside = outside(term, dataClass, policy: policy) {
                        findings.append(
                            Finding(
                                isError: true,
                                message:
                                    "\(who): storage class \(name.quotedForMessage) allowedTopologies[\(index)] \(outside);"
                                    + " \(who) keeps data in " + place(of: dataClass)))
                    }
                }
            }
        }
        return findings
    }

    private static func place(of dataClass: DataClass) -> String {
        dataClass.zones.isEmpty
            ? "regions " + dataClass.regions.joined(separator: ", ")
            : "zones " + dataClass.zones.joined(separator: ", ")
    }

    /// What in one term lies outside the class, or nil when it lies within.
    private static func outside(
        _ term: (zones: [String]?, regions: [String]?), _ dataClass: DataClass, policy: PolicyDocument
    ) -> String? {
        if !dataClass.zones.isEmpty {
            guard let zones = term.zones else { return "does not restrict the zone" }
            let foreign = zones.filter { !dataClass.zones.contains($0) }
            return foreign.isEmpty ? nil : "allows zones \(foreign.joined(separator: ", "))"
        }
        if let zones = term.zones {
            let foreign = zones.filter { !dataClass.regions.contains(policy.region(ofZone: $0)) }
            return foreign.isEmpty ? nil : "allows zones \(foreign.joined(separator: ", ")) outside the class's regions"
        }
        guard let regions = term.regions else { return "restricts neither zone nor region" }
        let foreign = regions.filter { !dataClass.regions.contains($0) }
        return foreign.isEmpty ? nil : "allows regions \(foreign.joined(separator: ", "))"
    }
}
