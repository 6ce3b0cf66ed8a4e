// libFuzzer entry point for the registry client's HTTP/1.1 response parser. Built by fuzz/run.sh with the parser's
// own sources (no sockets, no OpenSSL): a registry's bytes are untrusted input like a client's.

/// Feeds `bytes` in pieces of `pieceSize`, then end of stream, and records what the parser said.
private func outcome(_ bytes: UnsafeBufferPointer<UInt8>, pieceSize: Int, isHead: Bool) -> String {
    var parser = HTTPClientResponseParser(maxBodyBytes: 2048, isHead: isHead)
    var start = 0
    while start < bytes.count {
        let end = min(start + pieceSize, bytes.count)
        parser.append(ArraySlice(bytes[start..<end]))
        start = end
        switch parser.next() {
        case .needMore: continue
        case .complete(let response, let reusable):
            precondition(response.body.count <= 2048, "a body over the limit was accepted")
            return "complete \(response.status) \(response.body) \(reusable)"
        case .failed(let reason): return "failed \(reason)"
        }
    }
    switch parser.endOfStream() {
    case .complete(let response, let reusable): return "complete \(response.status) \(response.body) \(reusable)"
    case .failed(let reason): return "failed \(reason)"
    case .needMore: preconditionFailure("needMore after the end of the stream")
    }
}

/// Besides "never crash", the oracle is that the split does not matter: a response read whole and one byte at a
/// time parses to the same response or the same failure.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let isHead = size > 0 && data[0] & 1 == 1
    let whole = outcome(bytes, pieceSize: max(size, 1), isHead: isHead)
    let bytewise = outcome(bytes, pieceSize: 1, isHead: isHead)
    precondition(whole == bytewise, "split changed the outcome: \(whole) vs \(bytewise)")
    return 0
}
