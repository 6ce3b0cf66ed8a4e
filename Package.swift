// swift-tools-version:6.1
// Portcullis: a validating admission webhook for regulated AI zones.
// The module layout follows docs/ARCHITECTURE.md: C interop in thin modules at the bottom,
// pure admission and policy logic in the middle, wiring and the CLI at the top.
import PackageDescription

let package = Package(
    name: "Portcullis",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "portcullis", targets: ["portcullis"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // System libraries, found through pkg-config; never vendored.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // OpenSSL 3 macros the Clang importer cannot see, as real functions.
        .target(name: "CShims", dependencies: ["COpenSSL"]),

        // The one Swift module that talks to OpenSSL: digests, keys, signatures, TLS sessions.
        .target(name: "PortcullisCrypto", dependencies: ["COpenSSL", "CShims"]),
        // The one Swift module that talks to zlib: streaming gzip.
        .target(name: "Compression", dependencies: ["CZlib"]),
        // POSIX sockets, HTTP/1.1 framing, limits and deadlines, over PortcullisCrypto's TLS.
        .target(
            name: "HTTPTransport",
            dependencies: ["PortcullisCrypto", "CShims", .product(name: "Logging", package: "swift-log")]
        ),
        // Deterministic compact JSON output with RFC 8259 escaping, shared by responses, audit lines and logs.
        .target(name: "JSONText"),
        // admission.k8s.io/v1 and the pod-spec subset Portcullis reads; no I/O.
        .target(name: "AdmissionAPI", dependencies: ["JSONText"]),
        // Data classes and checks: pure functions of (request, policy, clock).
        .target(name: "Policy", dependencies: ["AdmissionAPI", "JSONText", "Yams"]),
        // Append-only, hash-chained decision lines with signed checkpoints: the line format, the writer, the verifier.
        .target(
            name: "Audit",
            dependencies: [
                "PortcullisCrypto", "Compression", "JSONText", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The security team's reading tools over a verified log: query, summary, evidence report (JSON and HTML).
        .target(name: "AuditReading", dependencies: ["Audit", "PortcullisCrypto"]),
        // OCI registry client, cosign signature verification, verification cache; knows no policy rules.
        .target(name: "Signatures", dependencies: ["AdmissionAPI", "PortcullisCrypto", "HTTPTransport"]),
        // Composition: HTTP routes -> AdmissionReview -> policy -> audit -> response.
        .target(
            name: "Webhook",
            dependencies: [
                "HTTPTransport", "AdmissionAPI", "Policy", "Audit", "PortcullisCrypto", "Signatures", "JSONText",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "portcullis",
            dependencies: [
                "Webhook", "Policy", "Audit", "AuditReading", "AdmissionAPI", "HTTPTransport", "PortcullisCrypto",
                "Signatures",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "AdmissionAPITests", dependencies: ["AdmissionAPI"]),
        .testTarget(name: "JSONTextTests", dependencies: ["JSONText"]),
        .testTarget(name: "CompressionTests", dependencies: ["Compression"]),
        .testTarget(name: "PortcullisCryptoTests", dependencies: ["PortcullisCrypto"]),
        .testTarget(name: "HTTPTransportTests", dependencies: ["HTTPTransport", "PortcullisCrypto"]),
        .testTarget(
            name: "PolicyTests", dependencies: ["Policy", "AdmissionAPI", "JSONText"], resources: [.copy("Fixtures")]),
        .testTarget(name: "WebhookTests", dependencies: ["Webhook", "Audit", "AuditReading", "AdmissionAPI", "Yams"]),
        .testTarget(
            name: "SignaturesTests", dependencies: ["Signatures", "AdmissionAPI", "PortcullisCrypto"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "AuditReading", "PortcullisCrypto", "Compression"]),
        .testTarget(
            name: "AuditReadingTests", dependencies: ["Audit", "AuditReading", "PortcullisCrypto"],
            resources: [.copy("Fixtures")]),
        // Start the real `portcullis` binary and talk to it with curl and openssl.
        .testTarget(name: "LiveTests", dependencies: []),
    ]
)
