import Audit
import AuditReading
import Foundation
import Logging
import PortcullisCrypto
import Synchronization
import Testing

@testable import Webhook

/// The glue from server happenings to control lines, read back through the audit log itself.
@Suite struct ControlEventsTests {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    private func withLog(_ body: (ControlEvents) throws -> Void) throws -> [ControlEvent] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("control-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let key = try Ed25519PrivateKey.generate()
        let writer = try AuditWriter(
            configuration: AuditConfiguration(directory: directory, chainID: "t", origin: "t.example/audit"),
            signingKey: key, clock: Date.init, logger: logger)
        try body(ControlEvents(writer: writer, logger: logger))
        writer.close()
        var events: [ControlEvent] = []
        try AuditQuery().scan(paths: [directory], types: [.control]) { line in
            if case .control(let entry) = line { events.append(entry.event) }
            return true
        }
        #expect(try AuditVerifier(key: key.publicKey).verify(paths: [directory]).allSatisfy(\.isIntact))
        return events
    }

    @Test("trust material: loaded once, the same set again records nothing, a different set records the change")
    func trustMaterial() throws {
        let events = try withLog { controls in
            controls.trustMaterialLoaded(authorities: [(name: "corp", fingerprints: ["f2", "f1"])])
            controls.trustMaterialLoaded(authorities: [(name: "corp", fingerprints: ["f1", "f2"])])
            controls.trustMaterialLoaded(authorities: [
                (name: "corp", fingerprints: ["f1"]), (name: "release", fingerprints: ["f3"]),
            ])
        }
        #expect(events.map(\.event) == [.trustMaterialLoaded, .trustMaterialChanged])
        #expect(events[0].authorities == [.init(name: "corp", fingerprints: ["f1", "f2"])])
        #expect(events[1].authorities?.map(\.name) == ["corp", "release"])
    }

    @Test("start, policy load, reload and rejected reload, and stop become control lines with their hashes")
    func serverAndPolicy() throws {
        let store = try PolicyStore(path: Self.repository.appendingPathComponent("deploy/policy.yaml").path)
        let events = try withLog { controls in
            controls.serverStarted(policy: store.current.document, arguments: ["portcullis", "serve"])
            controls.policyLoaded(store)
            controls.policyChanged(.unchanged, store: store)
            controls.policyChanged(.reloaded(previousSHA256: "old", newSHA256: "new"), store: store)
            controls.policyChanged(.rejected(sha256: "bad", error: "line 3: unknown key"), store: store)
            controls.serverStopped(reason: "test")
        }
        #expect(
            events.map(\.event) == [.serverStarted, .policyLoaded, .policyReloaded, .policyRejected, .serverStopped])
        let modes = events[0].modes ?? []
        #expect(modes.map(\.dataClass) == store.current.document.classNames)
        #expect(modes.allSatisfy { ["enforce", "warn", "audit"].contains($0.mode) })
        #expect(events[0].configurationSHA256 == SHA256.hex(of: Array("portcullis\u{0}serve".utf8)))
        #expect(events[1].sha256 == store.current.sha256)
        #expect(events[2].previousSHA256 == "old" && events[2].sha256 == "new")
        #expect(events[3].sha256 == "bad" && events[3].previousSHA256 == store.current.sha256)
        #expect(events[3].error == "line 3: unknown key")
    }

    @Test("refused unauthenticated admissions: the first at once, then at most one line a second counting the rest")
    func unauthenticatedRefusals() throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let events = try withLog { controls in
            let refusals = UnauthenticatedRefusals(
                controls: controls, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                clock: { clock.withLock { $0 } })
            refusals.refused(peer: "10.0.0.5:40000")
            for port in 40001...40003 { refusals.refused(peer: "10.0.0.5:\(port)") }
            clock.withLock { $0 += 1 }
            refusals.refused(peer: "10.0.0.6:50000")
            refusals.refused(peer: "10.0.0.7:50001")
            refusals.flush()
            refusals.flush()
        }
        #expect(events.map(\.event) == [.unauthenticatedRefused, .unauthenticatedRefused, .unauthenticatedRefused])
        #expect(events.map(\.refused) == [1, 4, 1])
        #expect(events.map(\.peer) == ["10.0.0.5:40000", "10.0.0.6:50000", "10.0.0.7:50001"])
        #expect(events[1].since == "2027-01-15T08:00:00.000000Z")
        #expect(events[1].message.contains("refused 4 admission request(s) without a client certificate"))
    }
}
