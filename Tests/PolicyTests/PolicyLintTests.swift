import Foundation
import Testing

@testable import Policy

/// Policy parsing: every error, each with its line and column; unknown keys are errors.
@Suite struct PolicyLintTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func shippedPolicyIsValid() throws {
        let text = try String(contentsOf: Self.repositoryRoot.appending(path: "deploy/policy.yaml"), encoding: .utf8)
        let policy = try PolicyDocument.parse(yaml: text)
        #expect(policy.classNames == ["cardholder-data", "ephi", "financial-reporting", "personal-data", "public"])
        #expect(policy.accelerators.extendedResourceToleration)
        #expect(policy.exemptions.allSatisfy { !$0.reason.isEmpty })
    }

    @Test func fixturePolicyReadsAsWritten() throws {
        let policy = try PolicyDocument.parse(yaml: Fixture.policyText)
        let ephi = try #require(policy.classes["ephi"])
        #expect(ephi.registries == ["registry.internal/ephi", "registry.internal:5000"])
        #expect(ephi.zones == ["eu-a", "eu-b"])
        #expect(ephi.dedicatedTaints == [Taint(key: "dedicated", value: "ephi", effect: "NoSchedule")])
        #expect(policy.classes["rollout"]?.mode(for: .registryOrigin) == .enforce)
        #expect(policy.classes["rollout"]?.mode(for: .zoneResidency) == .warn)
        #expect(
            policy.accelerators.isAccelerator("nvidia.com/mig-1g.10gb")
                && !policy.accelerators.isAccelerator("nvidia.com/gpu-other"))
        #expect(policy.exemptions[2].expires == ISO8601DateFormatter().date(from: "2020-01-01T00:00:00Z"))
    }

    static func issues(_ yaml: String) -> [PolicyLoadError.Issue] {
        do {
            _ = try PolicyDocument.parse(yaml: yaml)
            return []
        } catch {
            return error.issues
        }
    }

    static let header = "apiVersion: portcullis.dev/v1\nkind: Policy\n"

    static let cases: [(name: String, yaml: String, line: Int, column: Int, mentions: String)] = [
        (
            "unknown key in a class", header + "classes:\n  a:\n    registries: [r.io]\n    requireDigets: true\n", 6,
            5, "requireDigets"
        ),
        ("unknown top-level key", header + "clases: {}\nclasses:\n  a: {registries: [r.io]}\n", 3, 1, "clases"),
        (
            "registry without a host", header + "classes:\n  a:\n    registries: [pytorch]\n", 5, 18,
            "not a registry host"
        ),
        ("registry with a scheme", header + "classes:\n  a:\n    registries: [\"https://r.io\"]\n", 5, 18, "scheme"),
        (
            "unknown rule override",
            header + "classes:\n  a:\n    registries: [r.io]\n    rules: {no-such-rule: warn}\n", 6, 13, "no-such-rule"
        ),
        (
            "bad mode", header + "classes:\n  a:\n    mode: block\n    registries: [r.io]\n", 5, 11,
            "enforce, warn or audit"
        ),
        (
            "bool that is not a bool",
            header + "classes:\n  a:\n    registries: [r.io]\n    requireDigest: yes please\n", 6, 20, "true or false"
        ),
        (
            "unknown default class", header + "defaultClass: b\nclasses:\n  a: {registries: [r.io]}\n", 3, 15,
            "not a defined class"
        ),
        (
            "exemption without reason", header + "classes:\n  a: {registries: [r.io]}\nexemptions:\n  - namespace: x\n",
            6, 5, "missing \"reason\""
        ),
        (
            "exemption with an empty reason",
            header + "classes:\n  a: {registries: [r.io]}\nexemptions:\n  - {namespace: x, reason: \" \"}\n", 6, 28,
            "reason is empty"
        ),
        (
            "exemption without a matcher",
            header + "classes:\n  a: {registries: [r.io]}\nexemptions:\n  - {rules: [node-name], reason: y}\n",
            6, 5, "matches nothing in particular"
        ),
        (
            "bad taint effect",
            header + "classes:\n  a:\n    registries: [r.io]\n    dedicatedTaints: [{key: k, effect: NoRun}]\n", 6, 40,
            "NoSchedule"
        ),
        ("class name unusable in a path", header + "classes:\n  Bad_Name: {registries: [r.io]}\n", 4, 3, "DNS label"),
        (
            "wrong apiVersion", "apiVersion: v1\nkind: Policy\nclasses:\n  a: {registries: [r.io]}\n", 1, 13,
            "portcullis.dev/v1"
        ),
        ("invalid YAML", header + "classes:\n  a: {registries: [r.io]\n", 5, 1, "invalid YAML"),
        (
            "duplicate keys", header + "classes:\n  a: {registries: [r.io]}\n  a: {registries: [r.io]}\n", 4, 3,
            "duplicate"
        ),
        ("empty file", "", 0, 0, "empty"),
        // Found by fuzz/PolicyYAMLFuzz.swift: the YAML reader reports an offset, not a mark, and it was dropped.
        (
            "control character", header + "classes:\n  a: {registries: [r.io]}\n  b: \u{1}\n", 5, 6,
            "control characters"
        ),
        ("control character after a CRLF line", "apiVersion: x\r\nkind: \u{0}", 2, 7, "control characters"),
        // Also found by the fuzzer: at the end of a file without a final newline, libyaml marks a line past the end.
        ("cut off in a flow sequence", header + "classes:\n  a: {registries: [r.io", 4, 24, "expected ','"),
        (
            "maxDevicesPerClaim of zero", header + "classes:\n  a: {registries: [r.io], maxDevicesPerClaim: 0}\n", 4,
            47,
            "at least 1"
        ),
        (
            "binding node with both name and prefix",
            header
                + "classes:\n  a: {registries: [r.io]}\nbinding:\n  nodes:\n    - {name: n, namePrefix: p-, pool: x}\n",
            7, 7, "exactly one of name or namePrefix"
        ),
        (
            "binding node without a pool",
            header + "classes:\n  a: {registries: [r.io]}\nbinding:\n  nodes:\n    - {namePrefix: p-}\n", 7, 7,
            "missing \"pool\""
        ),
        (
            "GPU resource wildcard", header + "gpu: {resources: [\"*\"]}\nclasses:\n  a: {registries: [r.io]}\n", 3, 18,
            "prefix"
        ),
        (
            "model source with an unknown scheme",
            header + "classes:\n  a:\n    registries: [r.io]\n    models: {sources: [\"ftp://m\"]}\n", 6, 23,
            "scheme s3, gs, hf, pvc, https"
        ),
        (
            "model source that pins a version",
            header + "classes:\n  a:\n    registries: [r.io]\n    models: {sources: [\"hf://org/m@abc\"]}\n", 6, 23,
            "without a version"
        ),
        (
            "model sources missing",
            header + "classes:\n  a:\n    registries: [r.io]\n    models: {requirePinned: true}\n",
            6, 13, "missing \"sources\""
        ),
        (
            "image volume driver without an attribute",
            header + "imageVolumeDrivers: {csi.example.com: \"\"}\nclasses:\n  a: {registries: [r.io]}\n", 3, 39,
            "name the volumeAttributes key"
        ),
        (
            "inline CSI drivers not a list",
            header + "classes:\n  a:\n    registries: [r.io]\n    inlineCSIDrivers: secrets-store.csi.k8s.io\n", 6,
            23, "must be a list"
        ),
    ]

    @Test(arguments: cases)
    func errorsCarryLineAndColumn(name: String, yaml: String, line: Int, column: Int, mentions: String) {
        let found = Self.issues(yaml)
        #expect(!found.isEmpty, "\(name): accepted")
        let match = found.first { $0.message.contains(mentions) }
        #expect(match != nil, "\(name): \(found)")
        #expect(match?.line == line, "\(name): \(found)")
        if column > 0 { #expect(match?.column == column, "\(name): \(found)") }
    }

    @Test func shippedPolicyUsesTheDefaultAcceleratorList() throws {
        let text = try String(contentsOf: Self.repositoryRoot.appending(path: "deploy/policy.yaml"), encoding: .utf8)
        let (policy, suggestions) = try PolicyDocument.lint(yaml: text)
        #expect(policy.accelerators.resources == AcceleratorSettings.defaultResources)
        #expect(suggestions.isEmpty, "\(suggestions)")
        for resource in [
            "nvidia.com/gpu", "nvidia.com/mig-1g.10gb", "nvidia.com/gpu.shared", "nvidia.com/mps.gpu", "amd.com/gpu",
            "gpu.intel.com/i915", "gpu.intel.com/xe", "google.com/tpu", "aws.amazon.com/neuron",
            "aws.amazon.com/neuroncore", "habana.ai/gaudi",
        ] {
            #expect(policy.accelerators.isAccelerator(resource), "\(resource)")
        }
    }

    /// `gpu:` and `gpuNodePools:` still load, read exactly like the new spelling, with a suggestion each.
    @Test func olderGPUSpellingIsReadAsAcceleratorsWithASuggestion() throws {
        let old = Self.header + "gpu: {nodePoolLabel: pool}\nclasses:\n  a: {registries: [r.io], gpuNodePools: [p1]}\n"
        let new = old.replacingOccurrences(of: "gpu:", with: "accelerators:")
            .replacingOccurrences(of: "gpuNodePools", with: "acceleratorNodePools")
        let (oldPolicy, suggestions) = try PolicyDocument.lint(yaml: old)
        #expect(oldPolicy == (try PolicyDocument.parse(yaml: new)))
        #expect(oldPolicy.classes["a"]?.acceleratorNodePools == ["p1"])
        #expect(suggestions.map(\.line) == [3, 5])
        #expect(suggestions[0].message.contains("rename it") && suggestions[0].message.contains("accelerators"))
        #expect(suggestions[1].message.contains("acceleratorNodePools"))
        #expect(try PolicyDocument.lint(yaml: new).suggestions.isEmpty)
    }

    @Test func bothSpellingsAtOnceIsAnError() {
        let yaml = Self.header + "accelerators: {}\ngpu: {}\nclasses:\n  a: {registries: [r.io]}\n"
        let found = Self.issues(yaml)
        #expect(found.count == 1 && found[0].line == 4 && found[0].message.contains("keep only accelerators"))
    }

    @Test func everyErrorIsReportedNotJustTheFirst() {
        let yaml = Self.header + "classes:\n  a:\n    registries: [pytorch]\n    mode: block\n    zone: [x]\n"
        let found = Self.issues(yaml)
        #expect(found.map(\.line) == [5, 6, 7])
    }
}
