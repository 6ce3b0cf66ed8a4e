import AdmissionAPI
import Audit
import Foundation
import HTTPTransport
import Logging
import Policy
import Signatures

/// `POST /validate[/<class>]`: decode the AdmissionReview, decide, record, answer.
///
/// The order is the product's promise: the audit line is durable *before* the answer leaves, so
/// every admission a client ever saw has its evidence. When the line cannot be written the request
/// is denied (`AuditUnavailable`) unless its class is explicitly allowed to fail open.
public final class AdmissionEndpoint: Sendable {
    let policies: PolicyStore
    let audit: AuditWriter?
    let auditFailOpenClasses: Set<String>
    let metrics: WebhookMetrics
    let logger: Logger
    let clock: @Sendable () -> Date
    let unauthenticated: UnauthenticatedAdmissions
    /// Where refusals of unauthenticated callers are recorded (with `unauthenticated == .refuse`).
    let refusals: UnauthenticatedRefusals?

    public init(
        policies: PolicyStore, audit: AuditWriter?, auditFailOpenClasses: Set<String> = [], metrics: WebhookMetrics,
        logger: Logger, clock: @escaping @Sendable () -> Date = Date.init,
        unauthenticated: UnauthenticatedAdmissions = .record, refusals: UnauthenticatedRefusals? = nil
    ) {
        self.unauthenticated = unauthenticated
        self.refusals = refusals
        self.policies = policies
        self.audit = audit
        self.auditFailOpenClasses = auditFailOpenClasses
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
    }

    /// Reviews on the calling thread, blocking for the registry and the audit line as needed.
    func review(_ body: [UInt8], className: String?, context: RequestContext) -> HTTPResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        if let refusal = refusal(context) { return refusal }
        let decided: DecidedReview
        switch decide(body, className: className, context: context, started: started, registry: true) {
        case .answered(let response): return response
        case .decided(let review): decided = review
        case .needsRegistry: preconditionFailure("a review that may use the registry never needs it later")
        }
        guard let audit, let record = decided.record else { return answer(decided, audit: nil) }
        let syncStarted = DispatchTime.now().uptimeNanoseconds
        let deadline = DispatchTime(uptimeNanoseconds: max(syncStarted, Self.auditDeadline(context)))
        let outcome = Result { () throws(AuditError) in try audit.appendAnchored(record, deadline: deadline) }
        return answer(decided, audit: (outcome, syncStarted))
    }

    /// Reviews on an I/O thread without blocking it: a review whose images are all in the signature cache is
    /// decided here and answered when its audit line is durable, with no thread waiting for the group commit;
    /// one that needs the registry (or records a refusal) goes to the handler pool and `review` above.
    func review(_ body: [UInt8], className: String?, context: RequestContext, responder: HTTPResponder) {
        let started = DispatchTime.now().uptimeNanoseconds
        func offload() { responder.offload { self.review(body, className: className, context: context) } }
        // Recording a refusal writes a control line and waits for it; a large review (a pod with hundreds of
        // containers, a bulky annotation) takes milliseconds to decode, which the loop's other connections would
        // wait through.
        if refuses(context) || body.count > Self.inlineBodyLimit { return offload() }
        let decided: DecidedReview
        switch decide(body, className: className, context: context, started: started, registry: false) {
        case .answered(let response): return responder.respond(response)
        case .needsRegistry: return offload()
        case .decided(let review): decided = review
        }
        guard let audit, let record = decided.record else { return responder.respond(answer(decided, audit: nil)) }
        let syncStarted = DispatchTime.now().uptimeNanoseconds
        let pending = audit.appendAnchored(record) { outcome in
            responder.respondLater { self.answer(decided, audit: (outcome, syncStarted)) }
        }
        responder.giveUpAt(Self.auditDeadline(context)) {
            self.answer(decided, audit: (pending.giveUp(), syncStarted))
        }
    }

    /// The largest review decided on an I/O thread: 64 KiB, several times a typical pod's review (5 to 20 KiB).
    static let inlineBodyLimit = 64 * 1024

    /// The line must be durable before the answer leaves, but a hung disk must not hold the request past the API
    /// server's timeout: give up 250 ms before the request's deadline and answer AuditUnavailable.
    private static func auditDeadline(_ context: RequestContext) -> UInt64 {
        let margin: UInt64 = 250_000_000
        return context.deadlineNanos > margin ? context.deadlineNanos - margin : 0
    }

    /// True for a caller without a client certificate when those are refused.
    private func refuses(_ context: RequestContext) -> Bool {
        unauthenticated == .refuse && context.clientCertificate == nil
    }

    /// The 401 for a refused caller (see `refuses`), counted (which may write a control line); nothing it sent is
    /// read, decided or recorded as a decision.
    private func refusal(_ context: RequestContext) -> HTTPResponse? {
        guard refuses(context) else { return nil }
        refusals?.refused(peer: context.remoteAddress)
        return WebhookError(
            status: 401,
            message:
                "portcullis answers admission reviews only from a caller presenting a client certificate from its "
                + "--client-ca; this connection presented none (configure the API server's "
                + "AdmissionConfiguration kubeconfig, see docs/OPERATIONS.md)"
        ).response
    }

    /// A review decided and waiting for its audit line: everything its answer needs.
    struct DecidedReview: Sendable {
        let request: AdmissionRequest
        let decision: Decision
        let response: AdmissionResponse
        /// The line to write; nil without an audit log.
        let record: AuditRecord?
        let started: UInt64
    }

    private enum Decided {
        case answered(HTTPResponse)
        /// An image's verification is not cached, and `registry` was false.
        case needsRegistry
        case decided(DecidedReview)
    }

    /// Decodes and decides. `registry`: verify signatures with registry round trips as needed (blocking), or only
    /// from the cache (`.needsRegistry` on a miss).
    private func decide(
        _ body: [UInt8], className: String?, context: RequestContext, started: UInt64, registry: Bool
    ) -> Decided {
        let request: AdmissionRequest
        do {
            request = try AdmissionReviewCodec.decodeRequest(body)
        } catch {
            logger.info(
                "rejected a request that is not a valid AdmissionReview",
                metadata: ["remote": "\(context.remoteAddress)", "error": "\(error.message)"])
            return .answered(WebhookError(status: 400, message: error.message).response)
        }
        let policy = policies.current
        var verifications: [String: ImageVerification] = [:]
        var missed = false
        let now = clock()
        let decision = policy.engine.evaluate(
            request, classFromPath: className, now: now,
            verifySignatures: policy.signatures.map { signatures in
                { images, dataClass in
                    if registry {
                        verifications = self.verify(
                            images, in: dataClass, with: signatures, requestDeadline: context.deadlineNanos)
                    } else if let cached = signatures.verifyFromCache(images: images, in: dataClass) {
                        verifications = cached
                        self.recordVerifications(cached)
                    } else {
                        missed = true
                    }
                    return verifications.mapValues(SignatureEvidence.init)
                }
            })
        if missed { return .needsRegistry }
        var response = decision.response(uid: request.uid)
        let verificationWarnings = verifications.values.flatMap(\.warnings).sorted().map(Decision.warning)
        if !verificationWarnings.isEmpty {
            response.warnings = Decision.fitWarnings((response.warnings ?? []) + verificationWarnings)
        }
        var record: AuditRecord?
        if audit != nil {
            let latency = (DispatchTime.now().uptimeNanoseconds - started) / 1000
            var line = AuditRecord(request: request, decision: decision, latencyMicros: latency)
            line.caller = AuditRecord.Caller(context)
            line.images = Self.withSignatures(
                line.images, decision.signatures, in: decision.className.flatMap { policy.document.classes[$0] },
                now: now)
            record = line
        }
        return .decided(
            DecidedReview(request: request, decision: decision, response: response, record: record, started: started))
    }

    /// The answer to a decided review, given what became of its audit line (nil: no audit log) and when its
    /// write began; counts and logs it.
    private func answer(_ decided: DecidedReview, audit: (Result<AuditAnchor, AuditError>, UInt64)?) -> HTTPResponse {
        var response = decided.response
        var outcome = AuditRecord.Decision(decided.decision)
        var forcedReason: String?
        if let (result, syncStarted) = audit {
            switch result {
            case .success(let anchor):
                response.anchor(to: anchor)
                metrics.recordAuditSync(seconds: Self.seconds(since: syncStarted), failed: false)
            case .failure(let error):
                metrics.recordAuditSync(seconds: Self.seconds(since: syncStarted), failed: true)
                let failOpen = decided.decision.className.map(auditFailOpenClasses.contains) ?? false
                response = Self.auditUnavailable(response, error: error, failOpen: failOpen)
                outcome = response.allowed ? outcome : .denied
                forcedReason = "AuditUnavailable"
                logger.error(
                    "audit line could not be written; \(failOpen ? "allowing (class fails open)" : "denying")",
                    metadata: ["uid": "\(decided.request.uid)", "error": "\(error)"])
            }
        }
        metrics.recordAdmission(
            className: decided.decision.className ?? "", decision: WebhookMetrics.Decision(outcome),
            ruleIDs: forcedReason.map { [$0] } ?? decided.decision.ruleIDs.map(\.rawValue),
            latencySeconds: Self.seconds(since: decided.started))
        log(decided.request, decided.decision, response)
        return .json(200, AdmissionReviewCodec.encodeResponse(response))
    }

    /// Verifies a class's images within min(class budget, request deadline − margin), counting cache hits and
    /// registry failures.
    private func verify(
        _ images: [String], in dataClass: DataClass, with signatures: SignatureVerification, requestDeadline: UInt64
    ) -> [String: ImageVerification] {
        let deadline = SignatureVerification.deadline(
            budget: dataClass.signatures?.budget ?? .seconds(4), requestDeadline: requestDeadline)
        let results = signatures.verify(images: images, in: dataClass, deadline: deadline)
        recordVerifications(results)
        return results
    }

    private func recordVerifications(_ results: [String: ImageVerification]) {
        for verification in results.values {
            metrics.recordSignatureCache(hit: verification.fromCache)
            if case .failure(let failure) = verification.result, failure.reason == .unverifiable {
                metrics.recordRegistryError(registry: failure.registry)
            }
        }
    }

    /// Each audited image with the digest that was verified, the authority and key (or keyless identity) that
    /// vouched for it, and the signed promotion annotations.
    static func withSignatures(
        _ images: [AuditRecord.Image], _ evidence: [SignatureEvidence], in dataClass: DataClass?, now: Date
    ) -> [AuditRecord.Image] {
        let byImage = Dictionary(evidence.map { ($0.image, $0) }) { first, _ in first }
        return images.map { image in
            guard let found = byImage[image.reference] else { return image }
            var image = image
            image.digest = found.digest ?? image.digest
            if let signer = found.decidingSigner(in: dataClass, now: now) {
                image.authority = signer.authority
                image.key = signer.keyFingerprint
                image.subject = signer.subject
                image.issuer = signer.issuer
                image.approvedFor = signer.annotations["approved-for"]
                image.expires = signer.annotations["expires"]
                image.reviewBy = signer.annotations["review-by"]
            }
            image.attestations = AuditRecord.attestations(found.decidingAttestations(in: dataClass, now: now))
            return image
        }
    }

    /// The answer when evidence cannot be written: deny, or allow with a warning for a fail-open class.
    static func auditUnavailable(_ response: AdmissionResponse, error: AuditError, failOpen: Bool) -> AdmissionResponse
    {
        var response = response
        if failOpen {
            response.warnings =
                (response.warnings ?? []) + ["portcullis: audit log unavailable; admitted without evidence"]
        } else {
            response.allowed = false
            response.status = AdmissionResponse.Status(
                code: 503,
                message: "portcullis cannot record this decision in its audit log (\(error)); "
                    + "regulated admissions are refused until the audit log is writable again",
                reason: "AuditUnavailable")
        }
        return response
    }

    /// One debug line per request, one info line per denial; metadata is built only when it will be written.
    private func log(_ request: AdmissionRequest, _ decision: Decision, _ response: AdmissionResponse) {
        let level: Logger.Level = response.allowed ? .debug : .info
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "uid": "\(request.uid)", "namespace": "\(request.namespace)", "operation": "\(request.operation)",
            "kind": "\(request.kind.kind)", "class": "\(decision.className ?? "")", "allowed": "\(response.allowed)",
        ]
        if !response.allowed {
            metadata["rules"] = "\(decision.ruleIDs.map(\.rawValue).joined(separator: ","))"
            metadata["reason"] = "\(response.status?.reason ?? "")"
        }
        logger.log(level: level, response.allowed ? "admission" : "denied", metadata: metadata)
    }

    private static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
