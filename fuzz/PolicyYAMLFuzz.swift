// libFuzzer entry point for the policy loader (Yams, then PolicyParser), which reads whatever file or ConfigMap an
// operator points it at. Built by fuzz/run.sh with Policy's sources, linked to the package build of its dependencies.
import Foundation

/// Besides "never crash", the oracle: a refused policy names at least one problem, and every problem has a line and
/// column inside the input, which is all an operator has to find it by. The one exception is documented
/// (`PolicyLoadError.Issue.line`): a file with no YAML node at all is "empty" at line 0, since there is no place.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        _ = try PolicyDocument.lint(yaml: text)
    } catch {
        precondition(!error.issues.isEmpty, "a policy refused without a reason")
        if error.issues.count == 1, error.issues[0].line == 0, error.issues[0].message == "the policy file is empty" {
            return 0
        }
        // YAML breaks lines at CR as well as LF (and CRLF, NEL, LS, PS), as Swift's newline characters do.
        let lines = text.count(where: \.isNewline) + 1
        for issue in error.issues where !(1...lines).contains(issue.line) || issue.column < 1 || issue.message.isEmpty {
            // Printed before stopping: an optimised build drops a precondition's message.
            fputs("an issue outside the \(lines)-line input: \(issue.line):\(issue.column) \(issue.message)\n", stderr)
            abort()
        }
    }
    return 0
}
