import Foundation
import Testing

/// Signature admission end to end: Debian's `docker-registry` over TLS filled by the independent Python signer
/// (`Tests/Support/signer/push_scenarios.py`), a policy trusting the signer's keys, the real `portcullis serve`, curl.
@Suite("portcullis serve: image signatures", .serialized, .timeLimit(.minutes(2)))
struct SignatureLiveTests {
    /// A registry with every scenario, a policy that trusts the signer's `trusted` and `rotated` keys, and a server
    /// with an audit log. Class `release` needs a signature; class `ephi` also the promotion annotations.
    final class Environment: @unchecked Sendable {
        let certs: DevCertificates
        let work: String
        let host: String
        let scenarios: [String: String]
        let server: LiveServer

        init() throws {
            certs = try DevCertificates()
            work = certs.path("registry")
            let port = try Self.freePort()
            host = "127.0.0.1:\(port)"
            let start = try ChildProcess.run(
                "/usr/bin/env",
                [
                    "OWNER_PID=\(getpid())",
                    repositoryRoot.appendingPathComponent("Tests/Support/registry/start-registry.sh").path,
                    work, String(port),
                ], timeout: .seconds(30))
            guard start.status == 0 else { throw LiveTestError("docker-registry did not start: \(start.stderr)") }
            let push = try ChildProcess.run(
                "python3",
                [
                    repositoryRoot.appendingPathComponent("Tests/Support/signer/push_scenarios.py").path, host,
                    work + "/certs/ca.pem", work + "/out",
                ], timeout: .seconds(60))
            guard push.status == 0, let data = FileManager.default.contents(atPath: work + "/out/scenarios.json"),
                let scenarios = try JSONSerialization.jsonObject(with: data) as? [String: String]
            else { throw LiveTestError("the signer failed: \(push.stderr)") }
            self.scenarios = scenarios
            try Self.policy(host: host, keys: ["trusted.pub", "rotated.pub"]).write(
                toFile: certs.path("policy.yaml"), atomically: true, encoding: .utf8)
            let keygen = try ChildProcess.run(
                try portcullisBinary(),
                ["audit", "keygen", "--private-key", certs.path("audit.pem"), "--public-key", certs.path("audit.pub")])
            guard keygen.status == 0 else { throw LiveTestError("audit keygen failed: \(keygen.stderr)") }
            server = try LiveServer(
                certs, policy: certs.path("policy.yaml"),
                extraArguments: [
                    "--audit-dir", certs.path("audit"), "--audit-key", certs.path("audit.pem"),
                    "--policy-reload-interval", "100ms",
                ])
        }

        /// Class `release` needs a signature by a `release` key (the signer's `keys`), `ephi` also the promotion
        /// annotations, `ci` a keyless signature from the release workflow on main, and `attested` provenance from
        /// that workflow, a fresh scan with nothing above medium and an SBOM, all signed by `release`; `ci-attested`
        /// provenance from corp/trainer and an SBOM signed keyless like `ci`'s signatures.
        static func policy(host: String, keys: [String]) -> String {
            """
            apiVersion: portcullis.dev/v1
            kind: Policy
            authorities:
              release:
                keys: [\(keys.map { "registry/out/" + $0 }.joined(separator: ", "))]
                images: ["\(host)/live/*"]
              ci:
                keyless:
                  trustedRoot: registry/out/keyless_trusted_root.json
                  issuer: https://token.actions.githubusercontent.com
                  subjects: ['regex:https://github\\.com/corp/trainer/\\.github/workflows/release\\.yml@refs/heads/main']
                images: ["\(host)/live/keyless*"]
            registries:
              "\(host)": {ca: registry/certs/ca.pem}
            signatureCache: {ttl: 5m, failureTTL: 1m, size: 100}
            classes:
              release:
                registries: ["\(host)/live"]
                requireSignatures: true
                signatures: {authorities: [release], budget: 3s}
              ephi:
                registries: ["\(host)/live"]
                requireSignatures: true
                signatures:
                  authorities: [release]
                  annotations: {approvedFor: true, expires: true}
              ci:
                registries: ["\(host)/live"]
                requireSignatures: true
                signatures: {authorities: [ci]}
              attested:
                registries: ["\(host)/live"]
                requireSignatures: true
                signatures:
                  authorities: [release]
                  attestations:
                    - predicateType: https://slsa.dev/provenance/v1
                      builderIDs: [https://github.com/corp/trainer/.github/workflows/release.yml@refs/heads/main]
                      sourceRepositories: [https://github.com/corp/trainer]
                      sourceRefs: [refs/heads/main]
                    - predicateType: https://cosign.sigstore.dev/attestation/vuln/v1
                      maxSeverity: medium
                      maxAge: 168h
                    - predicateType: sbom
              ci-attested:
                registries: ["\(host)/live"]
                requireSignatures: true
                signatures:
                  authorities: [ci]
                  attestations:
                    - {predicateType: https://slsa.dev/provenance/v1, sourceRepositories: [https://github.com/corp/trainer]}
                    - {predicateType: sbom}

            """
        }

        /// The decision line with request `uid`, as `audit query -o json` prints it.
        func auditRecord(uid: String) throws -> [String: Any] {
            let query = try ChildProcess.run(
                try portcullisBinary(), ["audit", "query", "-o", "json", certs.path("audit")], timeout: .seconds(30))
            let line = try #require(query.stdout.split(separator: "\n").first { $0.contains(uid) })
            return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }

        /// The control lines so far, as `audit query --type control -o json` prints them.
        func controlEvents() throws -> [[String: Any]] {
            let query = try ChildProcess.run(
                try portcullisBinary(), ["audit", "query", "--type", "control", "-o", "json", certs.path("audit")],
                timeout: .seconds(30))
            return query.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        /// The AdmissionReview `response` for a pod running `image` in `className`.
        func admit(_ image: String, in className: String, uid: String = UUID().uuidString) throws -> [String: Any] {
            try admit(
                spec: ["containers": [["name": "a", "image": image], ["name": "b", "image": image]]], in: className,
                uid: uid, naming: image)
        }

        /// The AdmissionReview `response` for a pod with `spec` in `className`; `naming` says what errors name.
        func admit(spec: [String: Any], in className: String, uid: String = UUID().uuidString, naming: String)
            throws -> [String: Any]
        {
            let review: [String: Any] = [
                "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                "request": [
                    "uid": uid, "kind": ["group": "", "version": "v1", "kind": "Pod"],
                    "resource": ["group": "", "version": "v1", "resource": "pods"], "namespace": "clinical",
                    "name": "p", "operation": "CREATE", "userInfo": ["username": "alice"],
                    "object": [
                        "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "clinical"],
                        "spec": spec,
                    ],
                ] as [String: Any],
            ]
            let body = String(decoding: try JSONSerialization.data(withJSONObject: review), as: UTF8.self)
            let (status, json) = try AdmissionLiveTests.post(
                server, certs, path: "/validate/\(className)?timeout=10s", body: body)
            guard status == 200, let response = json["response"] as? [String: Any] else {
                throw LiveTestError("HTTP \(status) for \(naming)")
            }
            return response
        }

        /// Requests the registry served for `path` so far (one access-log line per request).
        func registryRequests(_ path: String) -> Int {
            let log = (try? String(contentsOfFile: work + "/registry.log", encoding: .utf8)) ?? ""
            return log.split(separator: "\n").filter { $0.contains("response completed") && $0.contains(path) }.count
        }

        func stopRegistry() throws {
            let pid = try String(contentsOfFile: work + "/registry.pid", encoding: .utf8)
            guard let value = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
            kill(value, SIGKILL)
        }

        static func freePort() throws -> Int {
            let result = try ChildProcess.run(
                "python3",
                ["-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"])
            guard let port = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw LiveTestError("no free port: \(result.stderr)")
            }
            return port
        }

        deinit { try? stopRegistry() }
    }

    static func reason(_ response: [String: Any]) -> String? {
        (response["status"] as? [String: Any])?["reason"] as? String
    }
    static func message(_ response: [String: Any]) -> String {
        (response["status"] as? [String: Any])?["message"] as? String ?? ""
    }

    /// (class, scenario, status reason or nil when allowed, rule named in the message).
    static let verdicts: [(String, String, String?, String?)] = [
        ("release", "signed", nil, nil),
        ("release", "bundle", nil, nil),
        ("release", "rotated", nil, nil),
        ("release", "unsigned", "Unsigned", "[image-signature]"),
        ("release", "wrong-key", "Unsigned", "[image-signature]"),
        ("release", "tampered", "Unsigned", "[image-signature]"),
        ("ephi", "annotated", nil, nil),
        ("ephi", "not-approved", "Forbidden", "[signature-approval]"),
        ("ephi", "expired", "Forbidden", "[signature-expired]"),
        ("ephi", "signed", "Forbidden", "[signature-approval]"),
    ]

    // Each test builds its own registry and server (about a second): a shared static one would outlive the test
    // process, since statics are never deinitialised.
    @Test("each signature scenario gets the webhook verdict and status reason it deserves")
    func verdicts() throws {
        let live = try Environment()
        for (className, scenario, reason, rule) in Self.verdicts {
            let image = try #require(live.scenarios[scenario])
            let response = try live.admit(image, in: className)
            #expect(
                response["allowed"] as? Bool == (reason == nil),
                "\(scenario) in \(className): \(Self.message(response))")
            #expect(Self.reason(response) == reason, "\(scenario) in \(className)")
            if let rule {
                let message = Self.message(response)
                #expect(message.contains(rule) && message.contains(image) && message.contains(live.host), "\(message)")
            }
        }
    }

    @Test("a second admission of a verified image asks the registry nothing, and the audit line names digest and key")
    func cachedAndAudited() throws {
        let live = try Environment()
        let image = try #require(live.scenarios["counted"])
        let uid = "counted-" + UUID().uuidString
        #expect(try live.admit(image, in: "release", uid: uid)["allowed"] as? Bool == true)
        let afterFirst = live.registryRequests("/v2/live/counted/")
        #expect(afterFirst >= 2)
        #expect(try live.admit(image, in: "release")["allowed"] as? Bool == true)
        #expect(live.registryRequests("/v2/live/counted/") == afterFirst)

        let record = try live.auditRecord(uid: uid)
        let images = try #require(record["images"] as? [[String: Any]])
        #expect(images.count == 2)
        #expect(images.first?["digest"] as? String == String(image.split(separator: "@")[1]))
        #expect(images.first?["authority"] as? String == "release")
        #expect((images.first?["key"] as? String)?.hasPrefix("sha256:") == true)

        let metrics = try live.server.curl(live.certs, [live.server.url + "/metrics"])
        #expect(metrics.stdout.contains(#"portcullis_signature_cache_requests_total{result="hit"}"#))
    }

    @Test("a tag is resolved to its digest, verified, and answered with a warning")
    func tagResolution() throws {
        let live = try Environment()
        let image = "\(live.host)/live/signed:v1"
        let response = try live.admit(image, in: "release")
        #expect(response["allowed"] as? Bool == true, "\(Self.message(response))")
        let warnings = response["warnings"] as? [String] ?? []
        #expect(warnings.contains { $0.contains("not pinned by digest") }, "\(warnings)")
    }

    @Test("portcullis image verify gives the webhook's verdict and shows each check")
    func imageVerifyCommand() throws {
        let live = try Environment()
        func verify(_ scenario: String, _ className: String) throws -> (Int32?, String) {
            let result = try ChildProcess.run(
                try portcullisBinary(),
                [
                    "image", "verify", live.scenarios[scenario]!, "--policy", live.certs.path("policy.yaml"), "--class",
                    className,
                ], timeout: .seconds(30))
            return (result.status, result.stdout + result.stderr)
        }
        let (signedStatus, signed) = try verify("signed", "release")
        #expect(signedStatus == 0 && signed.contains("ok   signature verifies with ECDSA P-256 key"), "\(signed)")
        #expect(signed.hasSuffix("ALLOWED\n"))
        let (wrongStatus, wrong) = try verify("wrong-key", "release")
        #expect(wrongStatus == 1 && wrong.contains("[image-signature]") && wrong.contains("DENIED"), "\(wrong)")
        let (expiredStatus, expired) = try verify("expired", "ephi")
        #expect(expiredStatus == 1 && expired.contains("[signature-expired]"), "\(expired)")
        let (keylessStatus, keyless) = try verify("keyless", "ci")
        #expect(keylessStatus == 0 && keyless.contains("SignedEntryTimestamp verifies"), "\(keyless)")
        #expect(
            keyless.contains(
                "keyless signer https://github.com/corp/trainer/.github/workflows/release.yml@refs/heads/main"))
        let (rekor2Status, rekor2) = try verify("keyless-rekor2", "ci")
        #expect(rekor2Status == 0 && rekor2.hasSuffix("ALLOWED\n"), "\(rekor2)")
        #expect(
            rekor2.contains("inclusion proof of entry") && rekor2.contains("signed by log log2026-live.rekor.local"))
        #expect(rekor2.contains("RFC 3161 timestamp 0 over the signature by trusted TSA"), "\(rekor2)")
        let (featureStatus, feature) = try verify("keyless-feature", "ci")
        #expect(
            featureStatus == 1 && feature.contains("refs/heads/feature") && feature.contains("DENIED"), "\(feature)")
    }

    @Test("with the registry down a verified digest is still admitted from cache; others are CouldNotVerify")
    func registryDown() throws {
        let live = try Environment()
        let cached = try #require(live.scenarios["two-signatures"])
        #expect(try live.admit(cached, in: "release")["allowed"] as? Bool == true)
        try live.stopRegistry()
        #expect(try live.admit(cached, in: "release")["allowed"] as? Bool == true)
        let never = try #require(live.scenarios["other-digest"])
        let response = try live.admit(never, in: "release")
        #expect(response["allowed"] as? Bool == false)
        #expect(Self.reason(response) == "CouldNotVerify")
        #expect(
            Self.message(response).contains("[signature-unverifiable]") && Self.message(response).contains(live.host))
    }

    @Test("a keyless class admits main's workflow with an expired leaf, denies other identities and strange roots")
    func keyless() throws {
        let live = try Environment()
        let main = try #require(live.scenarios["keyless"])
        let uid = "keyless-" + UUID().uuidString
        let allowed = try live.admit(main, in: "ci", uid: uid)
        #expect(allowed["allowed"] as? Bool == true, "\(Self.message(allowed))")
        #expect(try live.admit(try #require(live.scenarios["keyless-bundle"]), in: "ci")["allowed"] as? Bool == true)

        let feature = try live.admit(try #require(live.scenarios["keyless-feature"]), in: "ci")
        #expect(feature["allowed"] as? Bool == false)
        #expect(Self.reason(feature) == "Unsigned")
        let message = Self.message(feature)
        #expect(
            message.contains("workflows/release.yml@refs/heads/feature") && message.contains(#"refs/heads/main/"#),
            "\(message)")
        // Rekor v2: admitted on its inclusion proof and TSA time alone; without a timestamp nothing proves the time.
        let rekor2 = try live.admit(try #require(live.scenarios["keyless-rekor2"]), in: "ci")
        #expect(rekor2["allowed"] as? Bool == true, "\(Self.message(rekor2))")
        for (stranger, why) in [
            ("keyless-rekor2-no-timestamp", "proves no signing time"),
            ("keyless-unknown-log", "is not a trusted log"),
            ("keyless-untrusted-root", "does not chain to a trusted Fulcio root"),
        ] {
            let response = try live.admit(try #require(live.scenarios[stranger]), in: "ci")
            #expect(response["allowed"] as? Bool == false, "\(stranger) was admitted")
            let message = Self.message(response)
            #expect(message.contains("[image-signature]") && message.contains(why), "\(stranger): \(message)")
        }
        // A key-signed image is not vouched for by the keyless authority.
        #expect(try live.admit(try #require(live.scenarios["signed"]), in: "ci")["allowed"] as? Bool == false)

        let image = try #require((try live.auditRecord(uid: uid)["images"] as? [[String: Any]])?.first)
        #expect(image["authority"] as? String == "ci")
        #expect(
            image["subject"] as? String
                == "https://github.com/corp/trainer/.github/workflows/release.yml@refs/heads/main")
        #expect(image["issuer"] as? String == "https://token.actions.githubusercontent.com")
    }

    @Test("the audit line carries the signed promotion annotations the ephi class enforced")
    func promotionAnnotationsAudited() throws {
        let live = try Environment()
        let uid = "annotated-" + UUID().uuidString
        #expect(
            try live.admit(try #require(live.scenarios["annotated"]), in: "ephi", uid: uid)["allowed"] as? Bool == true)
        let image = try #require((try live.auditRecord(uid: uid)["images"] as? [[String: Any]])?.first)
        #expect(image["approvedFor"] as? String == "ephi")
        #expect(image["expires"] as? String == "2030-01-01T00:00:00Z")
        #expect(image["reviewBy"] == nil && image["subject"] == nil)
    }

    @Test("the trust material in force is a control event at start, and a key added by a reload is a change")
    func trustMaterialEvents() throws {
        let live = try Environment()
        func authorities(_ event: [String: Any]) -> [String: [String]] {
            Dictionary(
                uniqueKeysWithValues: (event["authorities"] as? [[String: Any]] ?? []).map {
                    ($0["name"] as? String ?? "", $0["fingerprints"] as? [String] ?? [])
                })
        }
        let loaded = try #require(try live.controlEvents().first { $0["event"] as? String == "trustMaterialLoaded" })
        let atStart = authorities(loaded)
        #expect(atStart["release"]?.count == 2 && atStart["ci"]?.count == 1, "\(atStart)")
        #expect(atStart.values.joined().allSatisfy { $0.hasPrefix("sha256:") })

        try Environment.policy(host: live.host, keys: ["trusted.pub", "rotated.pub", "untrusted.pub"]).write(
            toFile: live.certs.path("policy.yaml"), atomically: true, encoding: .utf8)
        #expect(live.server.child.stdout.waitFor("policy reloaded", timeout: .seconds(10)))
        let changed = try #require(try live.controlEvents().first { $0["event"] as? String == "trustMaterialChanged" })
        let afterReload = authorities(changed)
        #expect(afterReload["release"]?.count == 3 && afterReload["ci"] == atStart["ci"], "\(afterReload)")
        #expect(Set(afterReload["release"] ?? []).isSuperset(of: atStart["release"] ?? []))
    }
}
