import HTTPTransport

/// The webhook's HTTP face: routes each request to admission, health, readiness or metrics.
///
/// It holds no policy itself; `AdmissionEndpoint` does the decision work. Keeping routing here means
/// the transport stays ignorant of admission, and admission stays ignorant of URLs.
public struct WebhookHandler: InlineHTTPHandler {
    let admission: AdmissionEndpoint
    let readiness: Readiness
    let metrics: WebhookMetrics

    public init(admission: AdmissionEndpoint, readiness: Readiness, metrics: WebhookMetrics) {
        self.admission = admission
        self.readiness = readiness
        self.metrics = metrics
    }

    /// On the I/O thread: admissions as `AdmissionEndpoint` can take them without blocking; the rest read only
    /// memory (the readiness checks read flags, metrics render counters) and are answered at once.
    public func handle(_ request: HTTPRequest, context: RequestContext, responder: HTTPResponder) {
        guard case .success(.validate(let className)) = Route.resolve(request) else {
            return responder.respond(handle(request, context: context))
        }
        admission.review(request.body, className: className, context: context, responder: responder)
    }

    public func handle(_ request: HTTPRequest, context: RequestContext) -> HTTPResponse {
        switch Route.resolve(request) {
        case .failure(let error):
            return error.response
        case .success(.validate(let className)):
            return admission.review(request.body, className: className, context: context)
        case .success(.health):
            return .text(200, "ok\n")
        case .success(.ready):
            let problems = (context.serverIsShuttingDown ? ["shutting down"] : []) + readiness.problems()
            guard problems.isEmpty else { return .text(503, "not ready: " + problems.joined(separator: "; ") + "\n") }
            return .text(
                200, (["ready"] + readiness.warnings().map { "warning: " + $0 }).joined(separator: "\n") + "\n")
        case .success(.metrics):
            var response = HTTPResponse(status: 200, body: metrics.render())
            response.headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            return response
        }
    }
}

/// Why the instance should not get traffic right now, if anything. The API server's Service only
/// routes to ready pods, so an instance that cannot write evidence takes itself out of rotation.
public struct Readiness: Sendable {
    let checks: [@Sendable () -> String?]
    /// Conditions an operator must see that do not make the instance unfit to serve (a policy edit that could
    /// not be loaded: the previous policy is still in force).
    let warningChecks: [@Sendable () -> String?]

    public init(_ checks: [@Sendable () -> String?], warnings: [@Sendable () -> String?] = []) {
        self.checks = checks
        self.warningChecks = warnings
    }

    public func problems() -> [String] { checks.compactMap { $0() } }

    public func warnings() -> [String] { warningChecks.compactMap { $0() } }
}
