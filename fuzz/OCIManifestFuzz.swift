// libFuzzer entry point for the OCI JSON a registry serves around signatures: the referrers list (an image index)
// and manifests (their annotations and layers), as `OCIManifestJSON` reads them. Built by fuzz/run.sh with that file
// and AdmissionAPI's debug objects (for the digest check).
import AdmissionAPI
import Foundation

/// Besides "never crash": every digest read is a sha256 digest, and what is read, written back as the JSON it came
/// from, reads back the same (no field taken from somewhere other than where it is written).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    func json(_ object: [String: Any]) -> [UInt8] { [UInt8](try! JSONSerialization.data(withJSONObject: object)) }
    func annotations(_ predicateType: String?) -> [String: Any] {
        predicateType.map { [OCIManifestJSON.predicateTypeAnnotation: $0] } ?? [:]
    }
    if let referrers = OCIManifestJSON.referrers(bytes) {
        precondition(referrers.allSatisfy { ImageReference.isSHA256Digest($0.digest) }, "a referrer digest not sha256")
        let written: [[String: Any]] = referrers.map { referrer in
            var entry: [String: Any] = ["digest": referrer.digest, "annotations": annotations(referrer.predicateType)]
            if let type = referrer.artifactType { entry["artifactType"] = type }
            return entry
        }
        guard OCIManifestJSON.referrers(json(["manifests": written])) == referrers else {
            fputs("referrers read differently once written back: \(referrers)\n", stderr)
            abort()
        }
    }
    if let type = OCIManifestJSON.predicateType(ofManifest: bytes) {
        precondition(OCIManifestJSON.predicateType(ofManifest: json(["annotations": annotations(type)])) == type)
    }
    if case .success(let layers) = OCIManifestJSON.layers(bytes) {
        precondition(layers.allSatisfy { ImageReference.isSHA256Digest($0.digest) }, "a layer digest not sha256")
        let written: [[String: Any]] = layers.map {
            ["mediaType": $0.mediaType, "digest": $0.digest, "size": $0.size, "annotations": $0.annotations]
        }
        guard OCIManifestJSON.layers(json(["layers": written])) == .success(layers) else {
            fputs("layers read differently once written back: \(layers)\n", stderr)
            abort()
        }
    }
    return 0
}
