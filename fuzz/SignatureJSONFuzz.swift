// libFuzzer entry point for the signature JSON a registry serves: sigstore bundles (the DSSE envelope), the in-toto
// statement inside them, and cosign's simple-signing payload. Built by fuzz/run.sh with DSSEEnvelope.swift and
// SimpleSigningPayload.swift alone (Foundation's JSONSerialization underneath).
import Foundation

/// Besides "never crash": whatever decodes, written back as the JSON it came from, decodes to the same values (no
/// field read from somewhere other than where it is written), and every subject a statement names by a sha256
/// digest is found by that digest.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let envelope = try? DSSEEnvelope(bundle: bytes) {
        let written: [String: Any] = [
            "mediaType": DSSEEnvelope.bundleMediaTypePrefix + "+json",
            "dsseEnvelope": [
                "payloadType": envelope.payloadType, "payload": Data(envelope.payload).base64EncodedString(),
                "signatures": envelope.signatures.map { ["sig": Data($0).base64EncodedString()] },
            ],
        ]
        let again = try! DSSEEnvelope(bundle: [UInt8](try! JSONSerialization.data(withJSONObject: written)))
        check(
            again.payloadType == envelope.payloadType && again.payload == envelope.payload
                && again.signatures == envelope.signatures, "a bundle's envelope read back differently")
        check(
            envelope.preAuthenticationEncoding.starts(with: Array("DSSEv1 \(envelope.payloadType.utf8.count) ".utf8)),
            "the PAE does not start with the type's length")
        statement(envelope.payload)
    }
    statement(bytes)
    if let payload = try? SimpleSigningPayload(json: bytes) {
        let written: [String: Any] = [
            "critical": [
                "type": payload.type, "image": ["docker-manifest-digest": payload.manifestDigest],
                "identity": ["docker-reference": payload.dockerReference],
            ],
            "optional": payload.annotations,
        ]
        let again = try! SimpleSigningPayload(json: [UInt8](try! JSONSerialization.data(withJSONObject: written)))
        check(
            again.type == payload.type && again.manifestDigest == payload.manifestDigest
                && again.dockerReference == payload.dockerReference && again.annotations == payload.annotations,
            "a simple-signing payload read back differently")
    }
    return 0
}

private func statement(_ bytes: [UInt8]) {
    guard let statement = try? InTotoStatement(json: bytes) else { return }
    for subject in statement.subjects {
        guard let hex = subject.sha256, hex.utf8.count == 64,
            hex.utf8.allSatisfy({ $0 < 0x80 && isxdigit(Int32($0)) != 0 })
        else { continue }
        check(statement.subject(for: "sha256:" + hex.lowercased()) != nil, "subject \(hex) not found by its digest")
    }
}

/// Prints before stopping: an optimised build drops a precondition's message.
private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard !condition else { return }
    fputs(message() + "\n", stderr)
    abort()
}
