// libFuzzer entry point for the AdmissionReview decoder (JSONReader and every decoder in AdmissionAPI). Built by
// fuzz/run.sh together with AdmissionAPI's sources, so it can reach the reader's internals.
import Foundation

/// Besides "never crash", the oracle is a second, independent JSON parser (Foundation's JSONSerialization):
/// whatever the strict decoder accepts, it must accept too, and read the same values for the members the
/// checks depend on. Portcullis may refuse more (duplicates, depth, lone surrogates), never read differently.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let request = try? AdmissionReviewCodec.decodeRequest(bytes) else { return 0 }
    guard let review = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
        let other = review["request"] as? [String: Any]
    else { preconditionFailure("accepted input that JSONSerialization refuses") }
    func string(_ object: [String: Any]?, _ key: String) -> String { object?[key] as? String ?? "" }
    precondition(request.uid == string(other, "uid"), "uid read differently")
    precondition(request.operation == string(other, "operation"), "operation read differently")
    precondition(request.namespace == string(other, "namespace"), "namespace read differently")
    precondition(request.kind.kind == string(other["kind"] as? [String: Any], "kind"), "kind read differently")
    let object = other["object"] as? [String: Any]
    precondition(
        (request.object?.metadata.name ?? "") == string(object?["metadata"] as? [String: Any], "name"),
        "metadata.name read differently")
    if let spec = request.object?.spec, let otherSpec = object?["spec"] as? [String: Any] {
        let images = (otherSpec["containers"] as? [[String: Any]] ?? []).map { string($0, "image") }
        precondition(spec.containers.map(\.image) == images, "container images read differently")
        let selector = otherSpec["nodeSelector"] as? [String: String] ?? [:]
        precondition(spec.nodeSelector == selector, "nodeSelector read differently")
        precondition(spec.nodeName == string(otherSpec, "nodeName"), "nodeName read differently")
        let volumes = (otherSpec["volumes"] as? [[String: Any]] ?? []).compactMap {
            ($0["image"] as? [String: Any]).map { string($0, "reference") }
        }
        precondition(spec.volumes.compactMap(\.imageReference) == volumes, "image volumes read differently")
    }
    return 0
}
