import Foundation
import Testing

/// Collects a child's output as it arrives, so a test can wait for a line without blocking the child.
/// `@unchecked Sendable`: every access to `data` goes through `lock`.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var finished = false

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { data.append(chunk) }
            }
            lock.withLock { finished = true }
        }
    }

    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// Waits until the output contains `needle` `count` times; false when `timeout` passes first.
    func waitFor(_ needle: String, count: Int = 1, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if occurrences(of: needle) >= count { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return occurrences(of: needle) >= count
    }

    func occurrences(of needle: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// Waits for end of file (the child closed its end), at most `timeout`.
    func waitForEOF(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !lock.withLock({ finished }) && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return lock.withLock { finished }
    }
}

/// A running child process with its output collected.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let stdin = Pipe()
    let stdout: OutputCollector
    let stderr: OutputCollector

    init(_ executable: String, _ arguments: [String], mergeStderr: Bool = false) throws {
        let out = Pipe()
        let err = Pipe()
        process.executableURL = URL(fileURLWithPath: try Self.locate(executable))
        process.arguments = arguments
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = mergeStderr ? out : err
        stdout = OutputCollector(out.fileHandleForReading)
        stderr = OutputCollector(err.fileHandleForReading)
        try process.run()
        try? out.fileHandleForWriting.close()
        try? err.fileHandleForWriting.close()
    }

    func send(_ text: String) {
        try? stdin.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }

    func closeInput() { try? stdin.fileHandleForWriting.close() }

    /// Waits for the child to exit and its output to be collected; nil (and the child is killed) when
    /// `timeout` passes first.
    @discardableResult
    func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        guard !process.isRunning else {
            kill()
            return nil
        }
        _ = stdout.waitForEOF(timeout: .seconds(2))
        _ = stderr.waitForEOF(timeout: .seconds(2))
        return process.terminationStatus
    }

    func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { kill() }

    /// Runs a command to completion (bounded by `timeout`) and returns its status and output.
    static func run(_ executable: String, _ arguments: [String], input: String? = nil, timeout: Duration = .seconds(20))
        throws -> (status: Int32?, stdout: String, stderr: String)
    {
        let child = try ChildProcess(executable, arguments)
        if let input { child.send(input) }
        child.closeInput()
        let status = child.waitForExit(timeout: timeout)
        return (status, child.stdout.text, child.stderr.text)
    }

    private static func locate(_ name: String) throws -> String {
        if name.hasPrefix("/") { return name }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        throw LiveTestError("\(name) is not installed (looked in PATH)")
    }
}

struct LiveTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
