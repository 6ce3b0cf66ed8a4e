import HTTPTransport

/// The probe listener's routes: `/healthz`, `/readyz` and `/metrics` (GET and HEAD), never `/validate`.
///
/// It runs on its own port without client authentication, so kubelet probes and Prometheus keep working when the
/// admission port demands the API server's certificate. Readiness follows the admission server's shutdown, not its
/// own: the endpoint must leave the Service while the admission port is still draining.
public struct ProbeHandler: HTTPHandler {
    let webhook: WebhookHandler
    let admissionServerIsShuttingDown: @Sendable () -> Bool

    public init(webhook: WebhookHandler, admissionServerIsShuttingDown: @escaping @Sendable () -> Bool) {
        self.webhook = webhook
        self.admissionServerIsShuttingDown = admissionServerIsShuttingDown
    }

    public func handle(_ request: HTTPRequest, context: RequestContext) -> HTTPResponse {
        if case .success(.validate) = Route.resolve(request) {
            return WebhookError(
                status: 404,
                message: "the probe port serves only GET /healthz, /readyz and /metrics; admission reviews go to the "
                    + "admission port"
            ).response
        }
        var context = context
        context.serverIsShuttingDown = context.serverIsShuttingDown || admissionServerIsShuttingDown()
        return webhook.handle(request, context: context)
    }
}
