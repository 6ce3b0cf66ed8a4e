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

    func review(_ body: [UInt8], className: String?, context: RequestContext) -> HTTPResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        if unauthenticated == .refuse && context.clientCertificate == nil {
            // Before decoding: nothing an unauthenticated caller sends is read, decided or recorded as a decision.
            refusals?.refused(peer: context.remoteAddress)
            return WebhookError(
                status: 401,
                message:
                    "portcullis answers admission reviews only from a caller presenting a client certificate from its "
                    + "--client-ca; this connection presented none (configure the API server's "
                    + "AdmissionConfiguration kubeconfig, see docs/OPERATIONS.md)"
            ).response
        }
        let request: AdmissionRequest
        do {
            request = try AdmissionReviewCodec.decodeRequest(body)
        } catch {
            logger.info(
                "rejected a request that is not a valid AdmissionReview",
                metadata: ["remote": "\(context.remoteAddress)", "error": "\(error.message)"])
            return WebhookError(status: 400, message: error.message).response
        }
        let policy = policies.current
        var verifications: [String: ImageVerification] = [:]
        let now = clock()
        let decision = policy.engine.evaluate(
            request, classFromPath: className, now: now,
            verifySignatures: policy.signatures.map { signatures in
                { images, dataClass in
                    verifications = self.verify(
                        images, in: dataClass, with: signatures, requestDeadline: context.deadlineNanos)
                    return verifications.mapValues(SignatureEvidence.init)
                }
            })
        var response = decision.response(uid: request.uid)
        let verificationWarnings = verifications.values.flatMap(\.warnings).sorted().map(Decision.warning)
        if !verificationWarnings.isEmpty {
            response.warnings = Decision.fitWarnings((response.warnings ?? []) + verificationWarnings)
        }
        var outcome = AuditRecord.Decision(decision)
        var forcedReason: String?

        if let audit {
            let latency = (DispatchTime.now().uptimeNanoseconds - started) / 1000
            var record = AuditRecord(request: request, decision: decision, latencyMicros: latency)
            record.caller = AuditRecord.Caller(context)
            record.images = Self.withSignatures(
                record.images, decision.signatures, in: decision.className.flatMap { policy.document.classes[$0] },
                now: now)
            let syncStarted = DispatchTime.now().uptimeNanoseconds
            // The line must be durable before the answer leaves, but a hung disk must not hold the request past
            // the API server's timeout: give up 250 ms before the request's deadline and answer AuditUnavailable.
            let margin: UInt64 = 250_000_000
            let deadline = DispatchTime(
                uptimeNanoseconds: max(DispatchTime.now().uptimeNanoseconds, context.deadlineNanos &- margin))
            do {
                response.anchor(to: try audit.appendAnchored(record, deadline: deadline))
                metrics.recordAuditSync(seconds: Self.seconds(since: syncStarted), failed: false)
            } catch {
                metrics.recordAuditSync(seconds: Self.seconds(since: syncStarted), failed: true)
                let failOpen = decision.className.map(auditFailOpenClasses.contains) ?? false
                response = Self.auditUnavailable(response, error: error, failOpen: failOpen)
                outcome = response.allowed ? outcome : .denied
                forcedReason = "AuditUnavailable"
                logger.error(
                    "audit line could not be written; \(failOpen ? "allowing (class fails open)" : "denying")",
                    metadata: ["uid": "\(request.uid)", "error": "\(error)"])
            }
        }
        metrics.recordAdmission(
            className: decision.className ?? "", decision: WebhookMetrics.Decision(outcome),
            ruleIDs: forcedReason.map { [$0] } ?? decision.ruleIDs.map(\.rawValue),
            latencySeconds: Self.seconds(since: started))
        log(request, decision, response)
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
        for verification in results.values {
            metrics.recordSignatureCache(hit: verification.fromCache)
            if case .failure(let failure) = verification.result, failure.reason == .unverifiable {
                metrics.recordRegistryError(registry: failure.registry)
            }
        }
        return results
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
