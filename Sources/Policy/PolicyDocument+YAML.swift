import AdmissionAPI
import Foundation
import Yams

extension PolicyDocument {
    /// The `apiVersion` and `kind` a policy file must declare, so a stray manifest is never read as policy.
    public static let apiVersion = "portcullis.dev/v1"
    public static let kind = "Policy"

    /// Parses and validates a policy. Every problem is reported (not just the first), each with its line and
    /// column; unknown keys are errors, because a misspelt `requireDigets: true` must not silently mean false.
    public static func parse(yaml: String) throws(PolicyLoadError) -> PolicyDocument {
        try lint(yaml: yaml).document
    }

    /// Parses like ``parse(yaml:)`` and also returns suggestions for a valid policy (an older spelling
    /// such as `gpu:` for `accelerators:`, an exemption that expired before `now`), which `portcullis policy lint`
    /// prints without failing.
    public static func lint(
        yaml: String, now: Date? = nil
    ) throws(PolicyLoadError) -> (document: PolicyDocument, suggestions: [PolicyLoadError.Issue]) {
        let parser = PolicyParser()
        parser.now = now
        let document = parser.parseDocument(yaml)
        guard parser.issues.isEmpty, let document else {
            throw PolicyLoadError(issues: parser.issues.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return (document, parser.suggestions)
    }
}

/// Walks the YAML node tree, collecting every problem with its position.
final class PolicyParser {
    var issues: [PolicyLoadError.Issue] = []
    /// Not errors: older spellings that still work, exemptions that have expired.
    var suggestions: [PolicyLoadError.Issue] = []
    /// The clock expired exemptions are judged by; nil: none is reported.
    var now: Date?

    func report(_ message: String, at node: Node?) {
        let mark = node?.mark
        issues.append(PolicyLoadError.Issue(line: mark?.line ?? 0, column: mark?.column ?? 0, message: message))
    }

    /// A suggestion: the policy is valid, but something in it deserves a look.
    func suggest(_ message: String, at node: Node?) {
        let mark = node?.mark
        suggestions.append(PolicyLoadError.Issue(line: mark?.line ?? 0, column: mark?.column ?? 0, message: message))
    }

    func parseDocument(_ yaml: String) -> PolicyDocument? {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                report("the policy file is empty", at: nil)
                return nil
            }
            root = node
        } catch let error as YamlError {
            reportYAMLError(error)
            return nil
        } catch {
            report("cannot read YAML: \(error)", at: nil)
            return nil
        }
        let allowed = [
            "apiVersion", "kind", "defaultClass", "namespaceClasses", "accelerators", "gpu", "classes", "exemptions",
            "authorities", "registries", "registryCredentials", "signatureCache", "binding", "imageVolumeDrivers",
            "defaultStorageClass", "workloadKinds", "zoneRegions",
        ]
        guard let fields = fields(of: root, named: "the policy", allowed: allowed) else { return nil }
        if let node = require("apiVersion", in: fields, of: root, named: "the policy"),
            let value = string(node, "apiVersion"), value != PolicyDocument.apiVersion
        {
            report("apiVersion is \"\(value)\"; expected \"\(PolicyDocument.apiVersion)\"", at: node)
        }
        if let node = require("kind", in: fields, of: root, named: "the policy"),
            let value = string(node, "kind"), value != PolicyDocument.kind
        {
            report("kind is \"\(value)\"; expected \"\(PolicyDocument.kind)\"", at: node)
        }
        let accelerators =
            renamed("gpu", to: "accelerators", in: fields, of: "the policy").map(parseAccelerators)
            ?? AcceleratorSettings()
        var classes: [String: DataClass] = [:]
        if let node = require("classes", in: fields, of: root, named: "the policy"),
            let entries = pairs(of: node, named: "classes")
        {
            if entries.isEmpty { report("classes is empty; define at least one data class", at: node) }
            for (name, keyNode, value) in entries {
                guard isDNSLabel(name) else {
                    report(
                        "class name \"\(name)\" must be a DNS label (lower case letters, digits, '-'),"
                            + " as it is used in /validate/<class>",
                        at: keyNode)
                    continue
                }
                if let dataClass = parseClass(name, value, accelerators: accelerators) { classes[name] = dataClass }
            }
        }
        let known = classes.keys.sorted().joined(separator: ", ")
        var defaultClass: String?
        if let node = fields["defaultClass"], let name = string(node, "defaultClass") {
            if classes[name] == nil && !classes.isEmpty {
                report("defaultClass \"\(name)\" is not a defined class (defined: \(known))", at: node)
            }
            defaultClass = name
        }
        var namespaceClasses: [String: String] = [:]
        if let node = fields["namespaceClasses"], let entries = pairs(of: node, named: "namespaceClasses") {
            for (namespace, _, value) in entries {
                guard let name = string(value, "namespaceClasses.\(namespace)") else { continue }
                if classes[name] == nil && !classes.isEmpty {
                    report(
                        "namespace \"\(namespace)\" maps to class \"\(name)\", which is not defined"
                            + " (defined: \(known))",
                        at: value)
                }
                namespaceClasses[namespace] = name
            }
        }
        var exemptions: [Exemption] = []
        if let node = fields["exemptions"], let items = sequence(node, "exemptions") {
            for (index, item) in items.enumerated() {
                if let exemption = parseExemption(item, index: index, classes: classes) { exemptions.append(exemption) }
            }
        }
        let trust = parseSignatureTrust(fields)
        checkSignatureRequirements(classes, trust: trust, classesNode: fields["classes"])
        let binding = fields["binding"].map(parseBinding) ?? BindingSettings()
        var document = PolicyDocument(
            defaultClass: defaultClass, namespaceClasses: namespaceClasses, accelerators: accelerators,
            classes: classes, exemptions: exemptions, signatures: trust, binding: binding,
            imageVolumeDrivers: fields["imageVolumeDrivers"].map(parseImageVolumeDrivers)
                ?? PolicyDocument.defaultImageVolumeDrivers,
            defaultStorageClass: fields["defaultStorageClass"].flatMap { string($0, "defaultStorageClass") })
        document.workloadKinds = fields["workloadKinds"].map(parseWorkloadKinds) ?? []
        if let node = fields["zoneRegions"], let entries = pairs(of: node, named: "zoneRegions") {
            for (zone, keyNode, value) in entries {
                guard let region = string(value, "zoneRegions.\(zone)") else { continue }
                if zone.isEmpty || region.isEmpty {
                    report("zoneRegions: a zone and its region may not be empty", at: keyNode)
                }
                document.zoneRegions[zone] = region
            }
        }
        return document
    }

    /// Kinds with pod templates: `[{group, kind, resource?, templates?, patches?, images?}]`, each a list of paths and
    /// at least one given. Built-in kinds cannot be redefined (their decoding is fixed), and one kind may appear once.
    private func parseWorkloadKinds(_ node: Node) -> [PodTemplateKind] {
        guard let items = sequence(node, "workloadKinds") else { return [] }
        var kinds: [PodTemplateKind] = []
        let pathLists = ["templates", "patches", "images"]
        for (index, item) in items.enumerated() {
            let context = "workloadKinds[\(index)]"
            guard let entry = fields(of: item, named: context, allowed: ["group", "kind", "resource"] + pathLists),
                let groupNode = require("group", in: entry, of: item, named: context),
                let group = string(groupNode, "\(context) group"),
                let kindNode = require("kind", in: entry, of: item, named: context),
                let kind = string(kindNode, "\(context) kind")
            else { continue }
            if group.isEmpty || PolicyEngine.builtInGroups.contains(group) {
                report(
                    "\(context) group \"\(group)\" is built in (\(PolicyEngine.builtInGroups.sorted().joined(separator: ", ")));"
                        + " name a custom resource's API group", at: groupNode)
                continue
            }
            if kind.isEmpty || kinds.contains(where: { $0.group == group && $0.kind == kind }) {
                report("\(context): kind \"\(kind)\" of group \(group) is empty or listed twice", at: kindNode)
                continue
            }
            guard pathLists.contains(where: { entry[$0] != nil }) else {
                report(
                    "\(context) names no templates, patches or images; list the paths where the kind keeps them",
                    at: item)
                continue
            }
            var lists: [String: [PodTemplatePath]] = [:]
            for key in pathLists {
                guard let listNode = entry[key], let paths = nonEmptyStrings(listNode, "\(context) \(key)") else {
                    continue
                }
                for (offset, text) in paths.enumerated() {
                    do {
                        lists[key, default: []].append(try PodTemplatePath(text))
                    } catch {
                        report("\(context) \(key)[\(offset)]: \(error.problem)", at: sequence(listNode, "")?[offset])
                    }
                }
            }
            let resource = entry["resource"].flatMap { string($0, "\(context) resource") }
            kinds.append(
                PodTemplateKind(
                    group: group, kind: kind, resource: resource, templates: lists["templates"] ?? [],
                    patches: lists["patches"] ?? [], images: lists["images"] ?? []))
        }
        return kinds
    }

    private func reportYAMLError(_ error: YamlError) {
        let (line, column, message) = error.positioned
        issues.append(PolicyLoadError.Issue(line: line, column: column, message: message))
    }

    // MARK: Sections

    /// The value of `key`, also accepted under its older spelling `old` with a suggestion to rename it;
    /// both at once is an error, since one would silently win.
    private func renamed(_ old: String, to key: String, in fields: [String: Node], of context: String) -> Node? {
        switch (fields[key], fields[old]) {
        case (let node?, let oldNode?):
            report("\(context) sets both \(key) and \(old), its older spelling; keep only \(key)", at: oldNode)
            return node
        case (nil, let oldNode?):
            suggest("\(context): \(old) is the older spelling of \(key); rename it (both are read alike)", at: oldNode)
            return oldNode
        case (let node, nil):
            return node
        }
    }

    private func parseAccelerators(_ node: Node) -> AcceleratorSettings {
        var settings = AcceleratorSettings()
        let allowed = ["resources", "taints", "nodePoolLabel", "extendedResourceToleration", "deviceClasses"]
        guard let fields = fields(of: node, named: "accelerators", allowed: allowed) else { return settings }
        if let node = fields["deviceClasses"], let names = nonEmptyStrings(node, "accelerators.deviceClasses") {
            settings.deviceClasses = names
        }
        if let node = fields["resources"], let names = strings(node, "accelerators.resources") {
            if names.isEmpty {
                report(
                    "accelerators.resources is empty; list the resource names that count as accelerators, or omit it"
                        + " for the default list",
                    at: node)
            }
            for name in names where name.isEmpty || name == "*" || name.dropLast().contains("*") {
                report(
                    "accelerators.resources entry \"\(name)\" must be a resource name, or a prefix ending in one '*'",
                    at: node)
            }
            settings.resources = names
        }
        if let node = fields["taints"], let items = sequence(node, "accelerators.taints") {
            settings.taints = items.compactMap {
                parseTaint($0, named: "accelerators.taints", acceleratorResources: settings.resources)
            }
        }
        if let node = fields["nodePoolLabel"], let label = string(node, "accelerators.nodePoolLabel") {
            if label.isEmpty { report("accelerators.nodePoolLabel is empty", at: node) }
            settings.nodePoolLabel = label
        }
        if let node = fields["extendedResourceToleration"],
            let value = bool(node, "accelerators.extendedResourceToleration")
        {
            settings.extendedResourceToleration = value
        }
        return settings
    }

    private func parseClass(_ name: String, _ node: Node, accelerators: AcceleratorSettings) -> DataClass? {
        let context = "class \"\(name)\""
        let allowed = [
            "mode", "rules", "registries", "requireDigest", "zones", "regions", "nodePools", "acceleratorNodePools",
            "gpuNodePools",
            "dedicatedTaints", "requireSignatures", "signatures", "schedulerNames", "deviceClasses",
            "maxDevicesPerClaim", "allowAllocationModeAll", "inlineCSIDrivers", "models", "storageClasses",
            "forbidVolumeTypes", "deniedRegistries", "deniedImages", "deniedTags",
        ]
        guard let fields = fields(of: node, named: context, allowed: allowed) else { return nil }
        var dataClass = DataClass(name: name, registries: [])
        if let node = fields["mode"], let mode = mode(node, "\(context) mode") { dataClass.mode = mode }
        if let node = fields["rules"], let entries = pairs(of: node, named: "\(context) rules") {
            for (ruleName, keyNode, value) in entries {
                guard let rule = RuleID(rawValue: ruleName) else {
                    report(
                        "\(context): unknown rule \"\(ruleName)\""
                            + " (rules: \(RuleID.allCases.map(\.rawValue).joined(separator: ", ")))",
                        at: keyNode)
                    continue
                }
                if let mode = mode(value, "\(context) rules.\(ruleName)") { dataClass.ruleModes[rule] = mode }
            }
        }
        if let node = require("registries", in: fields, of: node, named: context),
            let entries = strings(node, "\(context) registries")
        {
            if entries.isEmpty { report("\(context) registries is empty; every image would be denied", at: node) }
            for (offset, entry) in entries.enumerated() {
                do {
                    dataClass.registries.append(try ImageReference.parseRegistryPrefix(entry))
                } catch {
                    report(
                        "\(context) registries[\(offset)] \"\(entry)\": \(error.reason)",
                        at: sequence(node, "")?[offset])
                }
            }
        }
        parseDenyLists(fields, into: &dataClass, context: context)
        if let node = fields["requireDigest"], let value = bool(node, "\(context) requireDigest") {
            dataClass.requireDigest = value
        }
        if let node = fields["requireSignatures"], let value = bool(node, "\(context) requireSignatures") {
            dataClass.requireSignatures = value
        }
        if let node = fields["signatures"] { dataClass.signatures = parseSignatureRequirement(node, context: context) }
        if let node = fields["zones"], let values = nonEmptyStrings(node, "\(context) zones") {
            dataClass.zones = values
        }
        if let node = fields["regions"], let values = nonEmptyStrings(node, "\(context) regions") {
            dataClass.regions = values
        }
        if let node = fields["nodePools"], let values = nonEmptyStrings(node, "\(context) nodePools") {
            dataClass.nodePools = values
        }
        if let node = renamed("gpuNodePools", to: "acceleratorNodePools", in: fields, of: context),
            let values = nonEmptyStrings(node, "\(context) acceleratorNodePools")
        {
            dataClass.acceleratorNodePools = values
        }
        if let node = fields["dedicatedTaints"], let items = sequence(node, "\(context) dedicatedTaints") {
            dataClass.dedicatedTaints = items.compactMap { parseTaint($0, named: "\(context) dedicatedTaints") }
        }
        if let node = fields["inlineCSIDrivers"] {
            dataClass.inlineCSIDrivers = parseInlineCSIDrivers(node, context: context)
        }
        if let node = fields["models"] { dataClass.models = parseModelSources(node, context: context) }
        if let node = fields["storageClasses"] {
            dataClass.storageClasses = strings(node, "\(context) storageClasses")
        }
        if let node = fields["forbidVolumeTypes"] {
            dataClass.forbidVolumeTypes = parseVolumeTypes(node, context: context)
        }
        if let node = fields["schedulerNames"], let values = nonEmptyStrings(node, "\(context) schedulerNames") {
            dataClass.schedulerNames = values
        }
        if let node = fields["deviceClasses"], let values = nonEmptyStrings(node, "\(context) deviceClasses") {
            dataClass.deviceClasses = values
        } else if !dataClass.acceleratorNodePools.isEmpty {
            dataClass.deviceClasses = accelerators.deviceClasses
        }
        if let node = fields["maxDevicesPerClaim"] {
            if let value = node.int, node.tag.rawValue == Tag.Name.int.rawValue, value >= 1 {
                dataClass.maxDevicesPerClaim = value
            } else {
                report("\(context) maxDevicesPerClaim must be a whole number of at least 1", at: node)
            }
        }
        if let node = fields["allowAllocationModeAll"], let value = bool(node, "\(context) allowAllocationModeAll") {
            dataClass.allowAllocationModeAll = value
        }
        return dataClass
    }

    private func parseBinding(_ node: Node) -> BindingSettings {
        var settings = BindingSettings()
        guard let sections = fields(of: node, named: "binding", allowed: ["schedulers", "nodes"]) else {
            return settings
        }
        if let node = sections["schedulers"], let names = nonEmptyStrings(node, "binding.schedulers") {
            settings.schedulers = names
        }
        guard let node = sections["nodes"], let items = sequence(node, "binding.nodes") else { return settings }
        for (index, item) in items.enumerated() {
            let context = "binding.nodes[\(index)]"
            let allowed = ["name", "namePrefix", "pool", "zone", "region"]
            guard let entry = fields(of: item, named: context, allowed: allowed) else { continue }
            let isPrefix = entry["namePrefix"] != nil
            guard (entry["name"] == nil) == isPrefix, let nameNode = entry["name"] ?? entry["namePrefix"] else {
                report("\(context) needs exactly one of name or namePrefix", at: item)
                continue
            }
            guard let name = string(nameNode, context),
                let poolNode = require("pool", in: entry, of: item, named: context),
                let pool = string(poolNode, "\(context) pool")
            else { continue }
            if name.isEmpty || pool.isEmpty { report("\(context): the node name and pool may not be empty", at: item) }
            settings.nodes.append(
                BindingSettings.NodePlacement(
                    name: name, isPrefix: isPrefix, pool: pool,
                    zone: entry["zone"].flatMap { string($0, "\(context) zone") },
                    region: entry["region"].flatMap { string($0, "\(context) region") }))
        }
        return settings
    }

    /// A taint; `acceleratorResources` is non-nil for accelerator taints, which may name the resources whose
    /// nodes carry them.
    private func parseTaint(_ node: Node, named context: String, acceleratorResources: [String]? = nil) -> Taint? {
        let allowed =
            acceleratorResources == nil ? ["key", "value", "effect"] : ["key", "value", "effect", "resources"]
        guard let fields = fields(of: node, named: "a taint in \(context)", allowed: allowed) else {
            return nil
        }
        var resources: [String] = []
        if let resourcesNode = fields["resources"], let names = strings(resourcesNode, "\(context) resources") {
            for name in names
            where !name.isListed(in: acceleratorResources ?? []) && !name.hasSuffix("*") {
                report("\(context): \"\(name)\" is not one of accelerators.resources", at: resourcesNode)
            }
            resources = names
        }
        guard let keyNode = require("key", in: fields, of: node, named: "a taint in \(context)"),
            let key = string(keyNode, "\(context) key")
        else { return nil }
        if key.isEmpty { report("\(context): a taint key may not be empty", at: keyNode) }
        let value = fields["value"].flatMap { string($0, "\(context) value") }
        guard let effectNode = require("effect", in: fields, of: node, named: "taint \"\(key)\" in \(context)"),
            let effect = string(effectNode, "\(context) effect")
        else { return nil }
        guard ["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(effect) else {
            report(
                "\(context): taint effect \"\(effect)\" is not NoSchedule, PreferNoSchedule or NoExecute",
                at: effectNode)
            return nil
        }
        return Taint(key: key, value: value, effect: effect, resources: resources)
    }

    // MARK: Typed node access

    /// The members of a mapping as (key, key node, value), or nil (reported) when `node` is not a mapping.
    func pairs(of node: Node, named context: String) -> [(String, Node, Node)]? {
        guard let mapping = node.mapping else {
            report("\(context) must be a mapping", at: node)
            return nil
        }
        var result: [(String, Node, Node)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                report("\(context): keys must be strings", at: key)
                continue
            }
            result.append((name, key, value))
        }
        return result
    }

    /// The members of a mapping by key; unknown keys are reported.
    func fields(of node: Node, named context: String, allowed: [String]) -> [String: Node]? {
        guard let entries = pairs(of: node, named: context) else { return nil }
        var result: [String: Node] = [:]
        for (name, keyNode, value) in entries {
            guard allowed.contains(name) else {
                report("\(context): unknown key \"\(name)\" (allowed: \(allowed.joined(separator: ", ")))", at: keyNode)
                continue
            }
            result[name] = value
        }
        return result
    }

    func require(_ key: String, in fields: [String: Node], of node: Node, named context: String) -> Node? {
        guard let value = fields[key] else {
            report("\(context) is missing \"\(key)\"", at: node)
            return nil
        }
        return value
    }

    func string(_ node: Node, _ context: String) -> String? {
        let tag = node.tag.rawValue
        guard let scalar = node.scalar, tag != Tag.Name.null.rawValue, tag != Tag.Name.bool.rawValue else {
            report("\(context) must be a string", at: node)
            return nil
        }
        return scalar.string
    }

    func bool(_ node: Node, _ context: String) -> Bool? {
        guard node.scalar != nil, node.tag.rawValue == Tag.Name.bool.rawValue, let value = node.bool else {
            report("\(context) must be true or false", at: node)
            return nil
        }
        return value
    }

    private func mode(_ node: Node, _ context: String) -> EnforcementMode? {
        guard let text = string(node, context) else { return nil }
        guard let mode = EnforcementMode(rawValue: text) else {
            report("\(context) \"\(text)\" is not enforce, warn or audit", at: node)
            return nil
        }
        return mode
    }

    func sequence(_ node: Node, _ context: String) -> [Node]? {
        guard let sequence = node.sequence else {
            if !context.isEmpty { report("\(context) must be a list", at: node) }
            return nil
        }
        return Array(sequence)
    }

    func strings(_ node: Node, _ context: String) -> [String]? {
        guard let items = sequence(node, context) else { return nil }
        let values = items.compactMap { string($0, "an entry of \(context)") }
        return values.count == items.count ? values : nil
    }

    func nonEmptyStrings(_ node: Node, _ context: String) -> [String]? {
        guard let values = strings(node, context) else { return nil }
        if values.contains(where: \.isEmpty) { report("\(context) contains an empty value", at: node) }
        return values
    }

    private func isDNSLabel(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        return isLowerAlphanumeric(first) && isLowerAlphanumeric(last)
            && bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }
}
