import ArgumentParser
import Foundation
import HTTPTransport
import Logging
import PortcullisCrypto
import Webhook

/// The HTTPS side of `portcullis serve`: where to listen, which certificate, and the limits that keep
/// one client from hurting the others. Durations are written as Go does (`10s`, `500ms`, `2m`).
struct TransportOptions: ParsableArguments {
    @Option(help: "Address to listen on, HOST:PORT ([IPv6]:PORT; port 0 picks a free port).")
    var listen = ListenAddress(host: "127.0.0.1", port: 8443)

    @Option(
        help: ArgumentHelp(
            "Address for the probe listener, HOST:PORT: /healthz, /readyz and /metrics over TLS without client "
                + "authentication, never /validate.",
            discussion: "Off by default. Set it with --client-ca, so kubelet probes and Prometheus need no client "
                + "certificate."))
    var probeListen: ListenAddress?

    @Option(help: "PEM certificate chain, leaf first. Reloaded when the file changes.")
    var cert: String

    @Option(help: "PEM private key matching --cert. Reloaded when the file changes.")
    var key: String

    @Option(help: "PEM CA bundle; when set, clients must present a certificate chaining to it (mTLS).")
    var clientCA: String?

    @Option(
        help: ArgumentHelp(
            "Admission requests without a verified client certificate: record (decide, line marked "
                + "unauthenticated) or refuse (401, a control line, never a decision).",
            discussion: "Default: record. Either value lets a client without a certificate finish the handshake "
                + "so it can be answered and recorded; without the option, --client-ca ends such handshakes. "
                + "refuse needs --client-ca."))
    var unauthenticatedAdmissions: UnauthenticatedAdmissions?

    @Option(help: "Largest request line plus header section, in bytes (over → 431).")
    var maxHeaderBytes = 16 * 1024

    @Option(help: "Largest request body, in bytes (over → 413).")
    var maxBodyBytes = 8 * 1024 * 1024

    @Option(help: "Time allowed for the TLS handshake.")
    var handshakeTimeout: Duration = .seconds(10)

    @Option(help: "Time allowed to receive a request's line and headers.")
    var headerTimeout: Duration = .seconds(10)

    @Option(help: "Time allowed to receive a request body, and to send a response.")
    var bodyTimeout: Duration = .seconds(30)

    @Option(help: "How long a keep-alive connection may idle between requests.")
    var idleTimeout: Duration = .seconds(120)

    @Option(help: "Deadline handed to the handler; a shorter ?timeout= from the API server wins.")
    var requestTimeout: Duration = .seconds(30)

    @Option(
        help: ArgumentHelp(
            "Connections serving requests at most; one more is closed when it sends its first request.",
            discussion: "Connections that have not sent a request yet (idle sockets, handshakes) are held apart, "
                + "up to four times this many, oldest shed first, so they never take a slot a real client needs."))
    var maxConnections = 1024

    @Option(
        help: ArgumentHelp(
            "Connections that have sent no request yet, from one source address, held at most.",
            discussion: "Default: twice --max-connections, half the room for such connections, so one address "
                + "cannot fill it. Past it, a newcomer from that address whose ClientHello is waiting sheds that "
                + "address's oldest such connection, and one that sent nothing is refused; other addresses are "
                + "never shed for it. Keep it at least the API server's burst of new connections."))
    var maxSilentConnectionsPerSource: Int?

    @Option(
        help: ArgumentHelp(
            "Connections serving requests from one source address at most; one more is closed when it sends its "
                + "first request.",
            discussion: "Off by default: the API server reaches the webhook from one or a few addresses with many "
                + "connections. Set it only where every client has an address of its own."))
    var maxConnectionsPerSource: Int?

    @Option(
        help: ArgumentHelp(
            "Request bytes all connections together may hold in memory (over → 503).",
            discussion: "Default: derived from --memory-limit, (limit − 64 MiB) / 3, at most 256 MiB."))
    var maxBufferedBytes: Int?

    @Option(
        help: ArgumentHelp(
            "Memory the server may use (268435456, 256Mi, 1Gi).",
            discussion: "Default: the container's cgroup limit (memory.max); none when unlimited."))
    var memoryLimit: ByteSize?

    @Option(help: "On SIGTERM/SIGINT, how long to keep serving (unready) before closing the listener.")
    var shutdownDelay: Duration = .seconds(5)

    @Option(help: "After the listener closes, how long in-flight requests get to finish.")
    var drainTimeout: Duration = .seconds(20)

    @Option(help: "How often to check --cert, --key and --client-ca for changes.")
    var certReloadInterval: Duration = .seconds(2)

    func validate() throws {
        guard maxHeaderBytes >= 256 else { throw ValidationError("--max-header-bytes must be at least 256") }
        guard maxBodyBytes >= 0 else { throw ValidationError("--max-body-bytes cannot be negative") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        if let perSource = maxSilentConnectionsPerSource, !(1...4 * maxConnections).contains(perSource) {
            throw ValidationError(
                "--max-silent-connections-per-source must be from 1 to \(4 * maxConnections) (four times "
                    + "--max-connections, the room for connections that have sent no request); got \(perSource)")
        }
        if let perSource = maxConnectionsPerSource, !(1...maxConnections).contains(perSource) {
            throw ValidationError(
                "--max-connections-per-source must be from 1 to --max-connections (\(maxConnections)); got "
                    + "\(perSource), or leave it out for no per-source cap")
        }
        if let maxBufferedBytes, maxBufferedBytes < maxBodyBytes + maxHeaderBytes {
            throw ValidationError("--max-buffered-bytes must be at least --max-body-bytes plus --max-header-bytes")
        }
        if let limit = memoryLimit?.bytes, limit <= MemoryLimit.baseline {
            throw ValidationError("--memory-limit must be more than the 64 MiB an idle server needs")
        }
        guard certReloadInterval > .zero else { throw ValidationError("--cert-reload-interval must be positive") }
        if unauthenticatedAdmissions == .refuse && clientCA == nil {
            throw ValidationError(
                "--unauthenticated-admissions refuse without --client-ca would refuse every admission: "
                    + "give --client-ca with the CA of the API server's client certificate")
        }
    }

    var configuration: HTTPServerConfiguration {
        HTTPServerConfiguration(
            address: listen,
            limits: HTTPParserLimits(maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes),
            handshakeTimeout: handshakeTimeout, headerTimeout: headerTimeout, bodyTimeout: bodyTimeout,
            idleTimeout: idleTimeout, requestTimeout: requestTimeout, maxConnections: maxConnections,
            maxSilentConnectionsPerSource: maxSilentConnectionsPerSource,
            maxConnectionsPerSource: maxConnectionsPerSource, maxBufferedBytes: bufferedBytesBudget,
            shutdownDelay: shutdownDelay, drainTimeout: drainTimeout,
            certificateReloadInterval: certReloadInterval)
    }

    /// How callers authenticate, for the startup line.
    var clientAuthDescription: String {
        let unauthenticated = "admissions without a certificate: \(unauthenticatedAdmissions?.rawValue ?? "record")"
        guard let clientCA else { return "off; \(unauthenticated)" }
        guard unauthenticatedAdmissions != nil else { return "required in the handshake (CA \(clientCA))" }
        return "requested (CA \(clientCA)); \(unauthenticated)"
    }

    /// The memory limit in force: the flag, else the cgroup's.
    var effectiveMemoryLimit: Int? { memoryLimit?.bytes ?? MemoryLimit.fromCgroup() }

    /// `--max-buffered-bytes`, else the budget the memory limit allows.
    var bufferedBytesBudget: Int {
        maxBufferedBytes
            ?? MemoryLimit.budget(limit: effectiveMemoryLimit, smallest: maxBodyBytes + maxHeaderBytes)
    }

    /// Loads TLS (an expired or mismatched pair throws, so the command exits non-zero), binds, logs the
    /// startup line, and serves until SIGTERM or SIGINT has been handled and in-flight requests drained.
    /// `onCertificate` sees the initial certificate and every one a reload puts in service.
    /// `onAcceptError` sees each failed accept(2); `onReloadSignal` runs on SIGHUP, after the certificate check.
    /// With `--probe-listen`, `probeHandler` (given whether the admission server is shutting down) serves the probe
    /// listener from start until the admission server has drained.
    func serve(
        handler: any HTTPHandler, probeHandler: (@escaping @Sendable () -> Bool) -> any HTTPHandler, logger: Logger,
        onCertificate: @escaping @Sendable (Certificate) -> Void = { _ in },
        onAcceptError: @escaping @Sendable (SystemError) -> Void = { _ in },
        onReloadSignal: @escaping @Sendable () -> Void = {}
    ) throws {
        let tls = try TLSContextReloader(
            certificatePath: cert, privateKeyPath: key, clientCAPath: clientCA,
            requireClientCertificate: unauthenticatedAdmissions == nil)
        let configuration = self.configuration
        let server = try HTTPServer(
            configuration: configuration, tls: tls, handler: handler, logger: logger,
            certificateObserver: onCertificate, acceptErrorObserver: onAcceptError, reloadObserver: onReloadSignal)
        let bound = try server.bind()
        server.stopOnTerminationSignals()
        let certificate = tls.current.certificate
        onCertificate(certificate)
        logger.info(
            "listening on https://\(bound)",
            metadata: [
                "address": "\(bound)",
                "tls": "\(TLSContext.protocolVersions)",
                "alpn": "http/1.1",
                "certSubject": "\(certificate.subject)",
                "certSerial": "\(certificate.serialNumber)",
                "certNotAfter": "\(Certificate.iso8601(certificate.notAfter))",
                "clientAuth": "\(clientAuthDescription)",
                "memoryLimit": "\(effectiveMemoryLimit.map(String.init) ?? "none")",
                "maxBufferedBytes": "\(configuration.maxBufferedBytes)",
                "shutdownDelaySeconds": "\(Double(configuration.shutdownDelay.nanoseconds) / 1e9)",
            ])
        let probes = try probeListen.map { address in
            try startProbeListener(at: address, handler: probeHandler({ server.isShuttingDown }), logger: logger)
        }
        server.run()
        if let probes {
            probes.server.stop()
            probes.stopped.wait()
        }
    }

    /// Binds and runs the probe listener on its own thread: the same certificate, no client CA, the admission
    /// listener's limits. Returns the server and a semaphore signalled once it has stopped.
    private func startProbeListener(at address: ListenAddress, handler: any HTTPHandler, logger: Logger) throws
        -> (server: HTTPServer, stopped: DispatchSemaphore)
    {
        var configuration = self.configuration
        configuration.address = address
        configuration.shutdownDelay = .zero
        let tls = try TLSContextReloader(certificatePath: cert, privateKeyPath: key)
        let server = try HTTPServer(configuration: configuration, tls: tls, handler: handler, logger: logger)
        let bound = try server.bind()
        logger.info(
            "probes listening on https://\(bound)",
            metadata: ["address": "\(bound)", "routes": "/healthz,/readyz,/metrics", "clientAuth": "off"])
        let stopped = DispatchSemaphore(value: 0)
        let thread = Thread {
            server.run()
            stopped.signal()
        }
        thread.name = "probe-listener"
        thread.start()
        return (server, stopped)
    }
}

extension UnauthenticatedAdmissions: ExpressibleByArgument {}

extension ListenAddress: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
}

extension Duration: @retroactive ExpressibleByArgument {
    public init?(argument: String) {
        guard let nanos = GoDuration.nanoseconds(argument) else { return nil }
        self = .nanoseconds(Int64(nanos))
    }

    public var defaultValueDescription: String {
        let (seconds, attoseconds) = components
        return attoseconds == 0 ? "\(seconds)s" : "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
    }
}
