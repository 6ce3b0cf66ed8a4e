import Foundation
import PortcullisCrypto
import Testing

@testable import Audit
@testable import AuditReading

/// The report's "Models and artifacts admitted" section: artifacts pods mounted as volumes, with who signed each
/// digest, when it was first and last admitted and in which classes.
@Suite("Audit report: models and artifacts")
struct AuditReportModelTests {
    static let digest = "sha256:" + String(repeating: "e", count: 64)

    @Test("each admitted model digest is a row with its signer, first and last admission and classes")
    func modelsAreListedWithSignerAndPeriod() throws {
        let directory = TemporaryDirectory()
        let key = try Ed25519PrivateKey.generate()
        let clock = TestClock()
        let writer = try Fixtures.writer(directory.path, key: key, clock: clock)
        let container = AuditRecord.Image(reference: "registry.internal/ephi/server@" + Self.digest)
        let model = AuditRecord.Image(
            reference: "registry.internal/ephi/models/llama@" + Self.digest, digest: Self.digest,
            authority: "release", key: "fp-release", subject: "https://ci.internal/release", volume: "model")
        var times: [String] = []
        for (index, dataClass) in ["ephi", "ephi", "research"].enumerated() {
            _ = try writer.append(Fixtures.record(index, dataClass: dataClass, images: [container, model]))
            times.append(try lastTime(in: directory.path))
            clock.advance(by: 3600)
        }
        var denied = model
        denied.reference = "docker.io/evil/weights:latest"
        denied.digest = nil
        _ = try writer.append(Fixtures.record(9, decision: .denied, images: [denied]))
        writer.close()

        let report = try AuditReportBuilder(key: key.publicKey).build(paths: [directory.path])
        #expect(report.modelsAdmitted.count == 1, "denied artifacts and container images are not models admitted")
        let row = try #require(report.modelsAdmitted.first)
        #expect(row.reference == model.reference && row.digest == Self.digest)
        #expect(row.authority == "release" && row.signer == "https://ci.internal/release")
        #expect(row.volumes == ["model"])
        #expect(row.classes == ["ephi", "research"])
        #expect(row.count == 3)
        #expect(row.firstAdmitted == times[0] && row.lastAdmitted == times[2])

        let html = AuditReportHTML.render(report)
        #expect(html.contains("Models and artifacts admitted"))
        #expect(html.contains("id=\"models\""))
        #expect(html.contains("data-digest=\"\(Self.digest)\""))
        #expect(!html.contains("docker.io/evil/weights"))
    }

    /// The `time` of the last line written, as the writer stamped it.
    private func lastTime(in directory: String) throws -> String {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }
        let text = try String(contentsOfFile: directory + "/" + files.sorted().last!, encoding: .utf8)
        let line = text.split(separator: "\n").last { $0.contains("\"uid\"") }!
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        return object["time"] as! String
    }
}
