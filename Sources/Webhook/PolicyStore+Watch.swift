import Foundation
import Logging

extension PolicyStore {
    /// Checks the policy file every `interval` on a background thread for the life of the process,
    /// logging and counting each reload so a rejected ConfigMap edit is visible on the dashboard;
    /// `onChange` sees every reload and rejection (the audit log records them as control events).
    public func watch(
        every interval: Duration, metrics: WebhookMetrics, logger: Logger,
        onChange: @escaping @Sendable (ReloadOutcome) -> Void = { _ in }
    ) {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: seconds)
                let outcome = reloadIfChanged()
                report(outcome, metrics: metrics, logger: logger)
                onChange(outcome)
            }
        }
        thread.name = "policy-watch"
        thread.start()
    }

    /// Logs and counts one reload outcome, as the watch thread does; SIGHUP reuses it.
    public func report(_ outcome: ReloadOutcome, metrics: WebhookMetrics, logger: Logger) {
        switch outcome {
        case .unchanged:
            break
        case .reloaded(let previous, let new):
            metrics.recordPolicyReload(success: true, sha256: new)
            metrics.prepare(for: current.document)
            logger.info(
                "policy reloaded", metadata: ["path": "\(path)", "previousSHA256": "\(previous)", "sha256": "\(new)"])
        case .rejected(let sha256, let error):
            metrics.recordPolicyReload(success: false, sha256: sha256)
            logger.error(
                "policy file changed but is invalid; the previous policy stays in force",
                metadata: [
                    "path": "\(path)", "rejectedSHA256": "\(sha256)", "activeSHA256": "\(current.sha256)",
                    "error": "\(error)",
                ])
        }
    }
}
