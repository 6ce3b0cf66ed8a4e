import Foundation
import Testing

/// The admission path end to end: the real binary, the shipped policy and examples, curl as the client.
@Suite("portcullis serve: admission", .timeLimit(.minutes(1)))
struct AdmissionLiveTests {
    static let allowedReview = repositoryRoot.appendingPathComponent("examples/admission-review-pod.json").path
    static let deniedReview = repositoryRoot.appendingPathComponent("examples/admission-review-denied.json").path

    /// POSTs a file (or literal body) and returns (HTTP status, parsed JSON body).
    static func post(
        _ server: LiveServer, _ certs: DevCertificates, path: String, file: String? = nil, body: String? = nil
    ) throws -> (status: Int, json: [String: Any]) {
        let data = file.map { "@" + $0 } ?? body ?? ""
        let result = try server.curl(
            certs,
            [
                "-w", "\n%{http_code}", "-H", "Content-Type: application/json", "-H", "Accept-Encoding: gzip",
                "-H", "User-Agent: kube-apiserver-admission", "--data-binary", data, server.url + path,
            ])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let text = lines.dropLast().joined(separator: "\n")
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return (status, json)
    }

    @Test("a compliant GPU pod is allowed; the response echoes the uid with the exact apiVersion and kind")
    func allowed() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let (status, json) = try Self.post(server, certs, path: "/validate/ephi?timeout=10s", file: Self.allowedReview)
        #expect(status == 200)
        #expect(json["apiVersion"] as? String == "admission.k8s.io/v1")
        #expect(json["kind"] as? String == "AdmissionReview")
        let response = try #require(json["response"] as? [String: Any])
        #expect(response["uid"] as? String == "705ab4f5-6393-11e8-b7cc-42010a800002")
        #expect(response["allowed"] as? Bool == true)
        #expect(response["patch"] == nil)
    }

    @Test("a public-registry, unpinned image is denied with every violation named")
    func denied() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let (status, json) = try Self.post(server, certs, path: "/validate/ephi", file: Self.deniedReview)
        #expect(status == 200)
        let response = try #require(json["response"] as? [String: Any])
        #expect(response["allowed"] as? Bool == false)
        let message = try #require((response["status"] as? [String: Any])?["message"] as? String)
        #expect(message.contains("registry-origin") && message.contains("docker.io"))
        #expect(message.contains("image-digest"))
        #expect(server.log.contains(#""msg":"denied""#))
    }

    @Test("an unknown data class in the path is denied, naming the known classes")
    func unknownClass() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let (_, json) = try Self.post(server, certs, path: "/validate/ephl", file: Self.allowedReview)
        let response = try #require(json["response"] as? [String: Any])
        #expect(response["allowed"] as? Bool == false)
        let message = try #require((response["status"] as? [String: Any])?["message"] as? String)
        #expect(message.contains("ephl") && message.contains("ephi") && message.contains("cardholder-data"))
    }

    @Test(
        "bad requests get 400, 404 or 405 with a JSON body that says what is wrong",
        arguments: [
            ("/validate/ephi", "not json at all", 400, "at byte"),
            (
                "/validate/ephi",
                #"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#, 400,
                "admission.k8s.io/v1"
            ),
            ("/validate/ephi", #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#, 400, "request"),
            (
                "/validate/ephi",
                #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":""}}"#, 400, "uid"
            ),
            ("/mutate", "{}", 404, "no such path"),
        ])
    func badRequests(path: String, body: String, expectedStatus: Int, fragment: String) throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let (status, json) = try Self.post(server, certs, path: path, body: body)
        #expect(status == expectedStatus)
        let error = try #require(json["error"] as? String)
        #expect(error.contains(fragment), "\(error)")
    }

    @Test("GET on /validate is 405 with Allow: POST")
    func wrongMethod() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        let result = try server.curl(certs, ["-i", server.url + "/validate/ephi"])
        #expect(result.stdout.hasPrefix("HTTP/1.1 405"))
        #expect(result.stdout.lowercased().contains("allow: post"))
    }

    @Test("/metrics counts what was sent, by class and decision, and exports the certificate's expiry")
    func metrics() throws {
        let certs = try DevCertificates()
        let server = try LiveServer(certs)
        for _ in 0..<3 { _ = try Self.post(server, certs, path: "/validate/ephi", file: Self.allowedReview) }
        for _ in 0..<2 { _ = try Self.post(server, certs, path: "/validate/ephi", file: Self.deniedReview) }
        let scrape = try server.curl(certs, [server.url + "/metrics"])
        let samples = try PrometheusSamples(scrape.stdout)
        #expect(samples.value("portcullis_admissions_total", ["class": "ephi", "decision": "allowed"]) == 3)
        #expect(samples.value("portcullis_admissions_total", ["class": "ephi", "decision": "denied"]) == 2)
        #expect(samples.value("portcullis_denials_total", ["class": "ephi", "rule": "registry-origin"]) == 2)
        // The dev certificate is valid for a year from its creation a moment ago.
        let expiry = try #require(samples.value("portcullis_tls_certificate_expiry_seconds", [:]))
        #expect(expiry > 360 * 86400 && expiry <= 366 * 86400)
    }

    @Test("a short-lived certificate shows its remaining lifetime in the expiry gauge")
    func shortLivedCertificateExpiry() throws {
        let certs = try DevCertificates()
        let script = """
            set -e; cd "$1"
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out short-key.pem
            openssl req -new -key short-key.pem -subj /CN=localhost |
                openssl x509 -req -CA ca.pem -CAkey ca-key.pem -days 1 -sha256 -out short.pem \
                    -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
            """
        let made = try ChildProcess.run("bash", ["-c", script, "short-cert", certs.directory.path])
        try #require(made.status == 0, "\(made.stderr)")
        let server = try LiveServer(cert: certs.path("short.pem"), key: certs.path("short-key.pem"))
        let samples = try PrometheusSamples(try server.curl(certs, [server.url + "/metrics"]).stdout)
        let expiry = try #require(samples.value("portcullis_tls_certificate_expiry_seconds", [:]))
        #expect(expiry > 86400 - 120 && expiry <= 86400, "\(expiry)")
    }

    @Test("a policy edit is picked up without a restart; an invalid edit keeps the last good policy")
    func policyReload() throws {
        let certs = try DevCertificates()
        let policy = certs.directory.appendingPathComponent("policy.yaml")
        let shipped = try String(contentsOfFile: LiveServer.policy, encoding: .utf8)
        try shipped.write(to: policy, atomically: true, encoding: .utf8)
        let server = try LiveServer(certs, policy: policy.path, extraArguments: ["--policy-reload-interval", "100ms"])
        #expect(try Self.allowed(server, certs))

        // Kubernetes swaps the file under the mount; an atomic rename is the same to stat(2).
        let stricter = shipped.replacingOccurrences(of: "registry.internal/ephi", with: "registry.other/ephi")
        try #require(stricter != shipped)
        try stricter.write(to: policy, atomically: true, encoding: .utf8)
        #expect(server.child.stdout.waitFor("policy reloaded", timeout: .seconds(10)))
        #expect(try !Self.allowed(server, certs))

        try "classes: [unterminated".write(to: policy, atomically: true, encoding: .utf8)
        #expect(server.child.stdout.waitFor("previous policy stays in force", timeout: .seconds(10)))
        #expect(try !Self.allowed(server, certs))
    }

    private static func allowed(_ server: LiveServer, _ certs: DevCertificates) throws -> Bool {
        let (_, json) = try post(server, certs, path: "/validate/ephi", file: allowedReview)
        return (json["response"] as? [String: Any])?["allowed"] as? Bool ?? false
    }
}

/// Samples parsed by prometheus_client's own parser (scripts/parse-prometheus.py), not by our code.
struct PrometheusSamples {
    let samples: [(name: String, labels: [String: String], value: Double)]

    init(_ exposition: String) throws {
        let script = repositoryRoot.appendingPathComponent("scripts/parse-prometheus.py").path
        let result = try ChildProcess.run("python3", [script], input: exposition, timeout: .seconds(60))
        guard result.status == 0,
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            let raw = object["samples"] as? [[Any]]
        else { throw LiveTestError("prometheus parser failed: \(result.stderr)") }
        samples = raw.compactMap { entry in
            guard entry.count == 3, let name = entry[0] as? String, let labels = entry[1] as? [String: String],
                let value = (entry[2] as? NSNumber)?.doubleValue
            else { return nil }
            return (name, labels, value)
        }
    }

    func value(_ name: String, _ labels: [String: String]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}
