import Testing

@testable import Policy

/// `policy lint --cluster-storage`: each class's storage classes provision only where the class keeps its data.
@Suite struct ClusterStorageReviewTests {
    static let policy = try! PolicyDocument.parse(
        yaml: """
            apiVersion: portcullis.dev/v1
            kind: Policy
            classes:
              zoned: {registries: [r.io], zones: [eu-west4-a, eu-west4-b], storageClasses: [ok, wide, none, gone]}
              regional: {registries: [r.io], regions: [us-east1], storageClasses: [east, aws, west]}
              free: {registries: [r.io], storageClasses: [none]}
            """)

    static let dump = """
        apiVersion: v1
        kind: List
        items:
          - {kind: StorageClass, metadata: {name: ok}, allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [eu-west4-a]}]}]}
          - {kind: StorageClass, metadata: {name: wide}, allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [eu-west4-a]}]}, {matchLabelExpressions: [{key: topology.gke.io/zone, values: [us-central1-a]}]}]}
          - {kind: StorageClass, metadata: {name: none}}
          - {kind: StorageClass, metadata: {name: east}, allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [us-east1-b, us-east1-c]}]}]}
          - {kind: StorageClass, metadata: {name: aws}, allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [us-east1a]}]}]}
          - {kind: StorageClass, metadata: {name: west}, allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/region, values: [us-west1]}]}]}
          - {kind: ConfigMap, metadata: {name: ignored}}
        """

    @Test func findingsNameTheClassTheStorageClassAndWhereItProvisions() throws {
        let findings = ClusterStorageReview.review(try ClusterStorageReview.parse(yaml: Self.dump), policy: Self.policy)
        let text = findings.map(\.description)
        #expect(
            text == [
                #"error: class "regional": storage class "west" allowedTopologies[0] allows regions us-west1; class "regional" keeps data in regions us-east1"#,
                #"error: class "zoned": storage class "wide" allowedTopologies[1] allows zones us-central1-a; class "zoned" keeps data in zones eu-west4-a, eu-west4-b"#,
                #"warning: class "zoned": storage class "none" has no allowedTopologies, so it may provision anywhere; restrict it to zones eu-west4-a, eu-west4-b"#,
                #"error: class "zoned" allows storage class "gone", which the cluster does not have"#,
            ], "\(text)")
    }

    @Test(arguments: [("europe-west4-a", "europe-west4"), ("us-east-1a", "us-east-1"), ("westeurope", "westeurope")])
    func zonesLieInTheirRegions(zone: String, region: String) {
        #expect(PolicyDocument.conventionalRegion(ofZone: zone) == region)
    }

    @Test func zoneRegionsOfThePolicyPlaceZonesTheNamingDoesNot() throws {
        let policy = try PolicyDocument.parse(
            yaml: """
                apiVersion: portcullis.dev/v1
                kind: Policy
                zoneRegions: {dc1-rack7: onprem-east}
                classes:
                  regional: {registries: [r.io], regions: [onprem-east], storageClasses: [local]}
                """)
        let dump = """
            kind: StorageClass
            metadata: {name: local}
            allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [dc1-rack7]}]}]
            """
        #expect(ClusterStorageReview.review(try ClusterStorageReview.parse(yaml: dump), policy: policy).isEmpty)
    }

    @Test func unreadableDumpIsAnError() {
        #expect(throws: ClusterStorageReview.InputError.self) { try ClusterStorageReview.parse(yaml: "items: [") }
        #expect(throws: ClusterStorageReview.InputError.self) {
            try ClusterStorageReview.parse(yaml: "kind: StorageClass\nmetadata: {}\n")
        }
    }
}
