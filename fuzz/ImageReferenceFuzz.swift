// libFuzzer entry point for ImageReference, the parser every registry-origin and digest decision rests on.
// Built by fuzz/run.sh with ImageReference.swift alone.

/// Oracles: a reference that parses prints (`description`) as a reference that parses to the same value
/// (normalisation is idempotent), lies under its own repository, and a pinned reference stays pinned.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let reference = try? ImageReference.parse(text) else { return 0 }
    guard let again = try? ImageReference.parse(reference.description) else {
        preconditionFailure("\(text) normalised to \(reference.description), which does not parse")
    }
    precondition(again == reference, "normalising \(text) twice changed it: \(reference) → \(again)")
    precondition(
        ImageReference.repository(reference.repository, isUnder: reference.repository),
        "\(reference.repository) is not under itself")
    precondition(!reference.isPinnedBySHA256 || again.isPinnedBySHA256, "pinning lost in \(text)")
    return 0
}
