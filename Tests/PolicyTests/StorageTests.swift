import AdmissionAPI
import Testing

@testable import Policy

/// Data at rest: the storage classes a class's claims may use (PVCs, StatefulSet claim templates, generic
/// ephemeral volumes) and the volume types its pods may not mount. Class `ephi` allows `ephi-cmek` only and
/// forbids hostPath and nfs; `pci` allows `pci-cmek` and the cluster default `standard-rwo`; `open` has no
/// storage rules.
@Suite struct StorageTests {
    static func claim(_ storageClass: String?, namespace: String = "clinical") -> JSONObject {
        var spec: JSONObject = ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "10Gi"]]]
        if let storageClass { spec["storageClassName"] = storageClass }
        return [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": ["name": "data", "namespace": namespace], "spec": spec,
        ]
    }

    static let claims: [(className: String, storageClass: String?, rules: Set<RuleID>)] = [
        ("ephi", "ephi-cmek", []),
        ("ephi", "standard-rwo", [.storageClass]),
        ("ephi", nil, [.storageClass]),  // the cluster default, which ephi does not list
        ("ephi", "", [.storageClass]),  // "no class": binds to any pre-provisioned volume
        ("pci", nil, []),  // the default, standard-rwo, is listed for pci
        ("pci", "pci-cmek", []),
        ("pci", "ephi-cmek", [.storageClass]),
        ("open", "anything", []),
    ]

    @Test(arguments: claims)
    func persistentVolumeClaims(className: String, storageClass: String?, rules: Set<RuleID>) throws {
        let decision = try Fixture.decide(Self.claim(storageClass), className: className)
        #expect(decision.evaluated)
        #expect(Set(decision.ruleIDs) == rules, "\(decision.violations.map(\.text))")
        #expect(decision.violations.allSatisfy { $0.path == "spec.storageClassName" })
        if rules.isEmpty { #expect(decision.storageClasses == [storageClass ?? "standard-rwo"]) }
    }

    @Test func messageNamesTheFieldTheValueAndTheAllowedClasses() throws {
        let message = try #require(try Fixture.decide(Self.claim("standard-rwo")).violations.first?.message)
        #expect(message.contains("PersistentVolumeClaim \"data\""))
        #expect(message.contains("spec.storageClassName"))
        #expect(message.contains("\"standard-rwo\""))
        #expect(message.contains("allows only ephi-cmek"))
        let unset = try #require(try Fixture.decide(Self.claim(nil)).violations.first?.message)
        #expect(unset.contains("cluster default"), "\(unset)")
    }

    @Test func claimUpdatesAreNotJudged() throws {
        // storageClassName cannot change after creation; a resize or a label edit must not be blocked.
        let decision = try Fixture.decide(
            Self.claim("standard-rwo"), operation: "UPDATE", oldObject: Self.claim("standard-rwo"))
        #expect(decision.allowed)
    }

    @Test func statefulSetClaimTemplates() throws {
        var set = Fixture.workload("StatefulSet", from: Fixture.pod())
        set.set(
            "spec.volumeClaimTemplates",
            [
                ["metadata": ["name": "a"], "spec": ["storageClassName": "ephi-cmek"]],
                ["metadata": ["name": "b"], "spec": ["storageClassName": "standard-rwo"]],
            ])
        let decision = try Fixture.decide(set)
        #expect(decision.ruleIDs == [.storageClass])
        #expect(decision.violations.first?.path == "spec.volumeClaimTemplates[1].spec.storageClassName")
        #expect(decision.violations.first?.message.contains("volume claim template \"b\"") == true)
        #expect(decision.storageClasses == ["ephi-cmek", "standard-rwo"])
    }

    @Test func genericEphemeralVolumes() throws {
        var pod = Fixture.pod()
        pod.set(
            "spec.volumes.0",
            [
                "name": "scratch",
                "ephemeral": ["volumeClaimTemplate": ["spec": ["storageClassName": "standard-rwo"]]],
            ])
        let decision = try Fixture.decide(pod)
        #expect(decision.ruleIDs == [.storageClass])
        #expect(
            decision.violations.first?.path == "spec.volumes[0].ephemeral.volumeClaimTemplate.spec.storageClassName")
        pod.set("spec.volumes.0.ephemeral.volumeClaimTemplate.spec.storageClassName", "ephi-cmek")
        #expect(try Fixture.decide(pod).allowed)
    }

    static let volumeTypes: [(source: String, rules: Set<RuleID>)] = [
        ("hostPath", [.volumeType]),
        ("nfs", [.volumeType]),
        ("emptyDir", []),
        ("configMap", []),
        ("persistentVolumeClaim", []),
    ]

    @Test(arguments: volumeTypes)
    func forbiddenVolumeTypes(source: String, rules: Set<RuleID>) throws {
        var pod = Fixture.pod()
        pod.set("spec.volumes.0", ["name": "v", source: ["path": "/x", "server": "s", "name": "n", "claimName": "c"]])
        let decision = try Fixture.decide(pod)
        #expect(Set(decision.ruleIDs) == rules, "\(decision.violations.map(\.text))")
        if !rules.isEmpty {
            #expect(decision.violations.first?.path == "spec.volumes[0].\(source)")
            #expect(decision.violations.first?.message.contains("forbids hostPath, nfs") == true)
        }
        #expect(try Fixture.decide(pod, className: "open").allowed, "open forbids no volume type")
        #expect(decision.volumeTypes == [source])
    }

    @Test func nodeAgentsAreExemptedWithAReason() throws {
        var pod = Fixture.pod()
        pod.set("metadata.namespace", "node-agents")
        pod.set("spec.volumes.0", ["name": "logs", "hostPath": ["path": "/var/log"]])
        let decision = try Fixture.decide(pod, namespace: "node-agents")
        #expect(decision.allowed)
        #expect(decision.exemptions.map(\.ruleID) == [.volumeType])
    }

    @Test func podTemplatesAreChecked() throws {
        var pod = Fixture.pod()
        pod.set("spec.volumes.0", ["name": "v", "hostPath": ["path": "/data"]])
        let decision = try Fixture.decide(Fixture.workload("Deployment", from: pod))
        #expect(decision.ruleIDs == [.volumeType])
        #expect(decision.violations.first?.path == "spec.template.spec.volumes[0].hostPath")
    }
}
