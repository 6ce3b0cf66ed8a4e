import Foundation
import Testing

/// Certificates from certs-dev/make-dev-certs.sh in a fresh temporary directory.
func makeCertificates() throws -> URL {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-tls-\(UUID().uuidString)")
    let process = Process()
    process.executableURL = root.appendingPathComponent("certs-dev/make-dev-certs.sh")
    process.arguments = [directory.path]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
    return directory
}
