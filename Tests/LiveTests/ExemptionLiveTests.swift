import Foundation
import Testing

/// Exemptions by service account, user, group and labels through the real binary: `evaluate` (with `--as` for the
/// requester), `policy lint` on bad matchers, and `serve` recording the exemption in the response and the audit log.
@Suite("portcullis: exemptions by service account, user, group and labels", .timeLimit(.minutes(1)))
struct ExemptionLiveTests {
    /// The shipped policy plus one exemption per new matcher, all lifting only zone-residency in clinical-nlp.
    static func policy(in certs: DevCertificates) throws -> String {
        let shipped = try String(contentsOfFile: LiveServer.policy, encoding: .utf8)
        let extra = """
            exemptions:
              - {podServiceAccount: clinical-nlp/node-agent, rules: [zone-residency], reason: runs on every node (PLAT-2)}
              - {requesterServiceAccount: ci/smoke, namespace: clinical-nlp, rules: [zone-residency], reason: CI smoke (PLAT-3)}
              - labelSelector: {matchExpressions: [{key: portcullis.dev/smoke, operator: In, values: ["true"]}]}
                user: release-bot
                rules: [zone-residency]
                reason: release smoke pods by the release bot (PLAT-4)

            """
        let path = certs.path("policy.yaml")
        try shipped.replacingOccurrences(of: "exemptions:\n", with: extra).write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// An ephi pod in clinical-nlp on the ephi CPU pool that names no zone: it breaks exactly zone-residency.
    static func pod(_ extra: String = "", labels: String = "{}") -> String {
        let image = "registry.internal/ephi/agent@sha256:" + String(repeating: "e", count: 64)
        return #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"agent","namespace":"clinical-nlp","#
            + #""labels":\#(labels)},"spec":{\#(extra)"nodeSelector":{"cloud.google.com/gke-nodepool":"ephi-cpu"},"#
            + #""containers":[{"name":"agent","image":"\#(image)"}]}}"#
    }

    static func evaluate(_ policy: String, _ manifest: String, _ extra: [String] = []) throws -> (Int32?, String) {
        let file = policy + ".pod.json"
        try manifest.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run(
            try portcullisBinary(), ["evaluate", "--policy", policy, "--class", "ephi", "-f", file] + extra)
        return (result.status, result.stdout + result.stderr)
    }

    @Test("evaluate: each matcher lifts the rule only when it holds, and says which exemption did")
    func evaluate() throws {
        let certs = try DevCertificates()
        let policy = try Self.policy(in: certs)
        let (plain, denied) = try Self.evaluate(policy, Self.pod())
        #expect(plain == 1 && denied.contains("[zone-residency]"), "\(denied)")

        let (asAgent, agent) = try Self.evaluate(policy, Self.pod(#""serviceAccountName":"node-agent","#))
        #expect(asAgent == 0, "\(agent)")
        #expect(agent.contains("exempt (pods running as service account clinical-nlp/node-agent: runs on every node"))

        let (byCI, ci) = try Self.evaluate(policy, Self.pod(), ["--as", "system:serviceaccount:ci:smoke"])
        #expect(byCI == 0 && ci.contains("namespace clinical-nlp and requests by service account ci/smoke"), "\(ci)")
        let (byOther, _) = try Self.evaluate(policy, Self.pod(), ["--as", "system:serviceaccount:ci:other"])
        #expect(byOther == 1)

        let smoke = Self.pod(labels: #"{"portcullis.dev/smoke":"true"}"#)
        let (byBot, bot) = try Self.evaluate(policy, smoke, ["--as", "release-bot"])
        #expect(byBot == 0, "\(bot)")
        let (labelOnly, _) = try Self.evaluate(policy, smoke, ["--as", "alice", "--as-group", "release-bot"])
        #expect(labelOnly == 1, "the label alone, or a group named like the user, is not the user")
    }

    @Test("policy lint refuses an exemption that matches everything, with its line and column")
    func lint() throws {
        let certs = try DevCertificates()
        let shipped = try String(contentsOfFile: LiveServer.policy, encoding: .utf8)
        let path = certs.path("bad.yaml")
        try shipped.replacingOccurrences(
            of: "exemptions:\n", with: "exemptions:\n  - {labelSelector: {matchLabels: {}}, reason: oops}\n"
        ).write(toFile: path, atomically: true, encoding: .utf8)
        let line = try #require(shipped.components(separatedBy: "\n").firstIndex(of: "exemptions:")) + 2
        let result = try ChildProcess.run(try portcullisBinary(), ["policy", "lint", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad.yaml:\(line):21: exemptions[0] labelSelector is empty"), "\(result.stderr)")
    }

    @Test("serve: a pod running as the exempt account is allowed, with exempted-rules and the reason in the audit line")
    func serve() throws {
        let fixture = try AuditLiveTests.AuditFixture()
        let policy = try Self.policy(in: fixture.certs)
        let server = try LiveServer(fixture.certs, policy: policy, extraArguments: fixture.serverArguments)
        let exempted = ReviewEnvelope.review(
            uid: "ex-1", kind: "Pod", namespace: "clinical-nlp", name: "agent", groups: ["system:authenticated"],
            object: Self.pod(#""serviceAccountName":"node-agent","#))
        let (status, json) = try AdmissionLiveTests.post(server, fixture.certs, path: "/validate/ephi", body: exempted)
        #expect(status == 200)
        let response = try #require(json["response"] as? [String: Any])
        #expect(response["allowed"] as? Bool == true, "\(json)")
        let annotations = response["auditAnnotations"] as? [String: String]
        #expect(annotations?["exempted-rules"] == "zone-residency", "\(json)")
        let denied = ReviewEnvelope.review(
            uid: "ex-2", kind: "Pod", namespace: "clinical-nlp", name: "agent", object: Self.pod())
        #expect(
            try ReviewEnvelope.denial(server, fixture.certs, path: "/validate/ephi", review: denied).contains(
                "[zone-residency]"))
        server.terminate()
        #expect(server.child.waitForExit(timeout: .seconds(30)) == 0)
        let lines = try CallerLiveTests.auditLines(fixture.logDirectory).filter { $0["uid"] as? String == "ex-1" }
        let exemptions = try #require(lines.first?["exemptions"] as? [[String: Any]], "\(lines)")
        #expect(exemptions.first?["rule"] as? String == "zone-residency")
        #expect((exemptions.first?["reason"] as? String)?.contains("PLAT-2") == true, "\(exemptions)")
    }
}
