import ArgumentParser
import Audit
import Foundation
import Logging
import PortcullisCrypto
import Webhook

/// `portcullis serve`: the webhook itself.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the admission webhook over HTTPS.",
        discussion: """
            Routes: POST /validate/<class> (the data class chosen by the webhook configuration), POST /validate \
            (class from the policy's namespace map or defaultClass), GET /healthz, GET /readyz, GET /metrics; \
            with --probe-listen, the last three also on a port of their own without client authentication.
            Every decision is written to the audit log, durably, before the answer is sent.
            """)

    @OptionGroup(title: "HTTPS") var transport: TransportOptions

    @Option(help: "Policy file (YAML). Reloaded when it changes; an invalid new version keeps the old one in force.")
    var policy: String

    @Option(help: "How often to check the policy file for changes.")
    var policyReloadInterval: Duration = .seconds(2)

    @OptionGroup(title: "Audit log") var audit: AuditOptions

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() throws {
        let level = logLevel
        LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
        let logger = Logger(label: "portcullis")
        let metrics = WebhookMetrics()

        let policies: PolicyStore
        do {
            policies = try PolicyStore(path: policy)
        } catch {
            throw ValidationError("\(error)")
        }
        metrics.recordPolicyReload(success: true, sha256: policies.current.sha256)
        metrics.prepare(for: policies.current.document)
        logger.info(
            "policy loaded",
            metadata: [
                "path": "\(policy)", "sha256": "\(policies.current.sha256)",
                "classes": "\(policies.current.document.classNames.joined(separator: ","))",
            ])
        let writer = try audit.makeWriter(logger: logger)
        defer { writer?.close() }
        let controls = ControlEvents(writer: writer, logger: logger)
        controls.serverStarted(policy: policies.current.document)
        controls.policyLoaded(policies)
        policies.watch(every: policyReloadInterval, metrics: metrics, logger: logger) { outcome in
            controls.policyChanged(outcome, store: policies)
        }
        if writer == nil {
            logger.warning("audit log disabled (no --audit-dir): decisions leave no evidence")
        }

        let refusals = UnauthenticatedRefusals(controls: controls, logger: logger)
        let endpoint = AdmissionEndpoint(
            policies: policies, audit: writer, auditFailOpenClasses: Set(audit.auditFailOpen), metrics: metrics,
            logger: logger, unauthenticated: transport.unauthenticatedAdmissions ?? .record, refusals: refusals)
        let readiness = Readiness(
            [{ writer.map { $0.isHealthy ? nil : "audit log unavailable" } ?? nil }],
            warnings: [
                {
                    policies.reloadProblem.map {
                        "\($0); serving the previous policy sha256:\(policies.current.sha256)"
                    }
                }
            ])
        do {
            let webhook = WebhookHandler(admission: endpoint, readiness: readiness, metrics: metrics)
            try transport.serve(
                handler: webhook,
                probeHandler: { ProbeHandler(webhook: webhook, admissionServerIsShuttingDown: $0) }, logger: logger,
                onCertificate: { certificate in
                    metrics.setCertificate(notAfter: Date(timeIntervalSince1970: TimeInterval(certificate.notAfter)))
                    controls.certificateInService(certificate)
                },
                onAcceptError: { _ in metrics.recordAcceptError() },
                onReloadSignal: {
                    let outcome = policies.reloadIfChanged()
                    policies.report(outcome, metrics: metrics, logger: logger)
                    controls.policyChanged(outcome, store: policies)
                })
        } catch {
            refusals.flush()
            controls.serverStopped(reason: "\(error)")
            throw error
        }
        refusals.flush()
        controls.serverStopped(reason: "termination signal; in-flight requests drained")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
