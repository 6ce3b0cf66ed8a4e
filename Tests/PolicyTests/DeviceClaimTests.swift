import AdmissionAPI
import Foundation
import Testing

@testable import Policy

/// DRA ResourceClaims and ResourceClaimTemplates: which device classes, how many devices, and
/// `allocationMode: All`. The fixture's `ephi` has an accelerator pool, so it may request the default
/// accelerator device classes, at most 4 devices per claim; `pci` has no pool and so no device class.
@Suite struct DeviceClaimTests {
    /// The smallest template class `ephi` allows: one NVIDIA GPU, in the v1 shape.
    static func template() -> JSONObject {
        [
            "apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate",
            "metadata": ["name": "t", "namespace": "clinical"],
            "spec": [
                "spec": ["devices": ["requests": [["name": "gpu", "exactly": ["deviceClassName": "gpu.nvidia.com"]]]]]
            ],
        ]
    }

    static let cases: [PodCase] = [
        PodCase("one GPU", []) { _ in },
        PodCase("four GPUs", []) { claim in claim.set("spec.spec.devices.requests.0.exactly.count", 4) },
        PodCase("a MIG slice", []) { claim in
            claim.set("spec.spec.devices.requests.0.exactly.deviceClassName", "mig.nvidia.com")
        },
        PodCase("an unknown device class", [.deviceClass]) { claim in
            claim.set("spec.spec.devices.requests.0.exactly.deviceClassName", "fpga.example.com")
        },
        PodCase("v1beta1: the class on the request", []) { claim in
            claim.set("apiVersion", "resource.k8s.io/v1beta1")
            claim.set("spec.spec.devices.requests.0", ["name": "gpu", "deviceClassName": "gpu.amd.com", "count": 2])
        },
        PodCase("v1beta1: an unknown class on the request", [.deviceClass]) { claim in
            claim.set("spec.spec.devices.requests.0", ["name": "gpu", "deviceClassName": "nic.example.com"])
        },
        PodCase("every firstAvailable alternative must be allowed", [.deviceClass]) { claim in
            claim.set(
                "spec.spec.devices.requests.0",
                [
                    "name": "gpu",
                    "firstAvailable": [
                        ["name": "big", "deviceClassName": "gpu.nvidia.com"],
                        ["name": "any", "deviceClassName": "fpga.example.com"],
                    ],
                ])
        },
        PodCase("no device class at all", [.deviceClass]) { claim in
            claim.set("spec.spec.devices.requests.0", ["name": "gpu"])
        },
        PodCase("more devices than the class allows", [.deviceCount]) { claim in
            claim.set("spec.spec.devices.requests.0.exactly.count", 5)
        },
        PodCase("requests add up", [.deviceCount]) { claim in
            claim.set("spec.spec.devices.requests.0.exactly.count", 3)
            claim.set(
                "spec.spec.devices.requests.1",
                ["name": "more", "exactly": ["deviceClassName": "gpu.nvidia.com", "count": 2]])
        },
        PodCase("an alternative counts at its largest", [.deviceCount]) { claim in
            claim.set(
                "spec.spec.devices.requests.0",
                [
                    "name": "gpu",
                    "firstAvailable": [
                        ["name": "eight", "deviceClassName": "gpu.nvidia.com", "count": 8],
                        ["name": "one", "deviceClassName": "gpu.nvidia.com"],
                    ],
                ])
        },
        PodCase("allocationMode All", [.deviceCount]) { claim in
            claim.set("spec.spec.devices.requests.0.exactly.allocationMode", "All")
        },
        PodCase("no devices at all", []) { claim in claim.set("spec.spec", ["devices": NSNull()]) },
    ]

    @Test(arguments: cases)
    func claimTemplates(_ test: PodCase) throws {
        var claim = Self.template()
        test.tweak(&claim)
        let decision = try Fixture.decide(claim)
        #expect(decision.evaluated)
        #expect(Set(decision.ruleIDs) == test.rules, "\(decision.violations.map(\.text))")
    }

    /// A ResourceClaim holds the same requests one level up, under `spec.devices`.
    @Test func resourceClaimsAreCheckedAtTheirOwnPath() throws {
        var claim = Self.template()
        claim.set("kind", "ResourceClaim")
        claim.set(
            "spec", ["devices": ["requests": [["name": "gpu", "exactly": ["deviceClassName": "fpga.example.com"]]]]])
        let violation = try #require(try Fixture.decide(claim).violations.first)
        #expect(violation.ruleID == .deviceClass)
        #expect(violation.path == "spec.devices.requests[0].exactly.deviceClassName")
        #expect(
            violation.message.contains(
                #"ResourceClaim "t": spec.devices.requests[0].exactly.deviceClassName is "fpga.example.com""#))
        #expect(violation.message.contains("gpu.nvidia.com, mig.nvidia.com"), "\(violation.message)")
    }

    @Test func classWithoutAcceleratorPoolsAllowsNoDeviceClass() throws {
        let decision = try Fixture.decide(Self.template(), className: "pci")
        #expect(decision.ruleIDs == [.deviceClass])
        #expect(decision.violations[0].message.contains("allowed: none (it has no accelerator pools"))
    }

    @Test func countMessageNamesTheLimit() throws {
        var claim = Self.template()
        claim.set("spec.spec.devices.requests.0.exactly.count", 6)
        let message = try #require(try Fixture.decide(claim).violations.first?.message)
        #expect(message.contains("spec.spec.devices.requests requests 6 devices in all"))
        #expect(message.contains(#"class "ephi" allows at most 4 per claim"#))
    }

    @Test func classMayAllowAllocationModeAllAndListItsOwnDeviceClasses() throws {
        let text = Fixture.policyText.replacingOccurrences(
            of: "    maxDevicesPerClaim: 4\n",
            with:
                "    maxDevicesPerClaim: 4\n    allowAllocationModeAll: true\n    deviceClasses: [\"fpga.example.com\", \"gpu.*\"]\n"
        )
        let engine = PolicyEngine(policy: try PolicyDocument.parse(yaml: text), policySHA256: "")
        func rules(_ deviceClass: String, mode: String) throws -> [RuleID] {
            var claim = Self.template()
            claim.set("spec.spec.devices.requests.0.exactly", ["deviceClassName": deviceClass, "allocationMode": mode])
            let request = try AdmissionReviewCodec.decodeRequest(Fixture.review(claim))
            return engine.evaluate(request, classFromPath: "ephi", now: Fixture.now).ruleIDs
        }
        #expect(try rules("fpga.example.com", mode: "All") == [])
        #expect(try rules("gpu.amd.com", mode: "ExactCount") == [])
        #expect(try rules("mig.nvidia.com", mode: "ExactCount") == [.deviceClass])
    }

    @Test(arguments: [
        (#"{"name":"g","exactly":{"deviceClassName":"a","deviceClassName":"b"}}"#, "duplicate key \"deviceClassName\""),
        (#"{"name":"g","deviceClassName":"a","deviceClassName":"b"}"#, "duplicate key \"deviceClassName\""),
        (#"{"name":"g","exactly":{"deviceClassName":"a","count":"2"}}"#, "count must be a whole number"),
        (#"{"name":"g","exactly":{"deviceClassName":"a","count":1.5}}"#, "count must be a whole number"),
        (#"{"name":"g","exactly":{"deviceClassName":"a"},"exactly":null}"#, "duplicate key \"exactly\""),
    ])
    func malformedRequestsAreDecodingErrors(request: String, mentions: String) {
        let review = JSONDecodingTests.review(
            request:
                #"{"uid":"u","kind":{"group":"resource.k8s.io","version":"v1","kind":"ResourceClaim"},"operation":"CREATE","object":{"kind":"ResourceClaim","spec":{"devices":{"requests":["#
                + request + "]}}}}")
        do {
            _ = try AdmissionReviewCodec.decodeRequest(Array(review.utf8))
            Issue.record("accepted \(request)")
        } catch {
            #expect(error.message.contains(mentions), "\(error.message)")
        }
    }

    @Test func statusUpdatesAndOtherResourceKindsAreNotExamined() throws {
        var claim = Self.template()
        claim.set("kind", "ResourceClaim")
        #expect(try !Fixture.decide(claim, operation: "UPDATE", subResource: "status").evaluated)
        claim.set("kind", "DeviceClass")
        #expect(try !Fixture.decide(claim).evaluated)
    }
}
