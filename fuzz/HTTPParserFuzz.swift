// libFuzzer entry point for the HTTP/1.1 request parser. Built by fuzz/run.sh together with the
// parser's own sources (no package, no OpenSSL), so it must only use what those files define.

/// Runs the parser over `bytes` delivered in the given pieces and records every request and failure.
private func outcomes(_ bytes: UnsafeBufferPointer<UInt8>, pieceSize: Int) -> [String] {
    var parser = HTTPRequestParser(limits: HTTPParserLimits(maxHeaderBytes: 512, maxBodyBytes: 1024))
    var result: [String] = []
    var start = 0
    while start < bytes.count {
        let end = min(start + pieceSize, bytes.count)
        parser.append(bytes[start..<end])
        start = end
        loop: while true {
            switch parser.next() {
            case .needMoreData: break loop
            case .expectsContinue: continue
            case .request(let request, let keepAlive):
                precondition(request.body.count <= 1024, "body over the limit was accepted")
                result.append("\(request.method) \(request.target) \(request.body) \(keepAlive)")
            case .failure(let error):
                precondition([400, 413, 417, 431, 501, 505].contains(error.status), "unexpected status \(error)")
                result.append("failure \(error.status)")
                return result
            }
        }
    }
    return result
}

/// Besides "never crash", the oracle is that the split does not matter: a request delivered in one
/// read and one byte at a time must parse to the same requests and failures.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let whole = outcomes(bytes, pieceSize: max(size, 1))
    let bytewise = outcomes(bytes, pieceSize: 1)
    precondition(whole == bytewise, "split changed the outcome: \(whole) vs \(bytewise)")
    return 0
}
