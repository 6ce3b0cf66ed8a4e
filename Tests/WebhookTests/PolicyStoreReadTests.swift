import Foundation
import Synchronization
import Testing

@testable import Webhook

/// Reading the policy in force without a lock must still see every reload, on every thread, and never another
/// store's policy.
@Suite struct PolicyStoreReadTests {
    static func policy(registry: String) -> String {
        """
        apiVersion: portcullis.dev/v1
        kind: Policy
        classes:
          a: {registries: [\(registry)]}

        """
    }

    final class PolicyFile {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        var path: String { directory.appendingPathComponent("policy.yaml").path }
        init(_ text: String) throws {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try write(text)
        }
        /// Replaces the file by rename, as a ConfigMap update swaps it: a new identity for the store's poll.
        func write(_ text: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        deinit { try? FileManager.default.removeItem(at: directory) }
    }

    /// A store made after another was freed may sit at the same address; a thread's copy of the old store's
    /// policy must not be served for the new one (one process serves one store, but tests and reloads of the
    /// whole server make several).
    @Test func aNewStoreNeverServesAFreedStoresPolicy() throws {
        for round in 0..<50 {
            let registry = "round\(round).example"
            let file = try PolicyFile(Self.policy(registry: registry))
            let store = try PolicyStore(path: file.path)
            #expect(store.current.document.classes["a"]?.registries == [registry], "round \(round)")
        }
    }

    @Test func aReloadIsSeenByTheThreadThatReadBeforeAndByOthers() throws {
        let file = try PolicyFile(Self.policy(registry: "one.example"))
        let store = try PolicyStore(path: file.path)
        let before = store.current.sha256
        #expect(store.current.sha256 == before, "a second read on the same thread")
        try file.write(Self.policy(registry: "two.example"))
        guard case .reloaded(_, let new) = store.reloadIfChanged() else {
            Issue.record("the changed file was not reloaded")
            return
        }
        #expect(new != before)
        #expect(store.current.sha256 == new, "the thread that had a copy still saw the old policy")
        #expect(store.current.document.classes["a"]?.registries == ["two.example"])
        let seenElsewhere = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let other = Thread {
            let sha = store.current.sha256
            seenElsewhere.withLock { $0 = sha }
            done.signal()
        }
        other.start()
        done.wait()
        #expect(seenElsewhere.withLock { $0 } == new, "another thread saw the old policy")
    }

    @Test func twoStoresOnOneThreadEachAnswerTheirOwn() throws {
        let first = try PolicyFile(Self.policy(registry: "one.example"))
        let second = try PolicyFile(Self.policy(registry: "two.example"))
        let a = try PolicyStore(path: first.path)
        let b = try PolicyStore(path: second.path)
        for _ in 0..<3 {
            #expect(a.current.document.classes["a"]?.registries == ["one.example"])
            #expect(b.current.document.classes["a"]?.registries == ["two.example"])
        }
    }
}
