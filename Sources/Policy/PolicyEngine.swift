import AdmissionAPI
import Foundation

/// Decides admission requests against one policy. A pure function of (request, class from the path,
/// clock): no I/O, so the webhook, `portcullis evaluate` and the tests all get the same answer.
public struct PolicyEngine: Sendable {
    public let policy: PolicyDocument
    /// SHA-256 (hex) of the policy text, computed by the caller, stamped on every decision.
    public let policySHA256: String

    /// Per class, the taints other classes dedicate (see ``TolerationScopeCheck``), computed once here.
    private let foreignTaints: [String: [(owner: String, taint: Taint)]]
    /// Per class, the node pools other classes dedicate (see ``NodePoolCheck``), computed once here.
    private let foreignPools: [String: [String: [String]]]

    public init(policy: PolicyDocument, policySHA256: String) {
        self.policy = policy
        self.policySHA256 = policySHA256
        foreignTaints = policy.classes.mapValues { TolerationScopeCheck.foreignTaints(of: $0, in: policy) }
        foreignPools = policy.classes.mapValues { NodePoolCheck.foreignPools(of: $0, in: policy) }
    }

    /// The workload kinds whose pod templates are checked, by API group.
    static let workloadKinds: [String: Set<String>] = [
        "apps": ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"],
        "batch": ["Job", "CronJob"],
        // KServe: the predictor's images and models, and the runtime's images.
        "serving.kserve.io": ["InferenceService", "ServingRuntime"],
    ]

    /// API groups whose kinds Portcullis knows itself; `workloadKinds` names kinds of other groups.
    public static var builtInGroups: Set<String> { Set(KubernetesObject.builtInGroups.map(String.init)) }

    /// True when Portcullis examines this request: a built-in kind (``isInScope(_:)``), or the main resource of a
    /// kind the policy's `workloadKinds` names, on CREATE or UPDATE.
    public func isInScope(_ request: AdmissionRequest) -> Bool {
        if Self.isInScope(request) { return true }
        guard request.operation == "CREATE" || request.operation == "UPDATE", request.subResource.isEmpty else {
            return false
        }
        return policy.workloadKind(group: request.kind.group, kind: request.kind.kind) != nil
    }

    /// The DRA kinds whose device requests are checked (``DeviceClaimCheck``).
    static let deviceClaimKinds: Set<String> = ["ResourceClaim", "ResourceClaimTemplate"]

    /// True when Portcullis examines this request: CREATE or UPDATE of a Pod (or its
    /// `ephemeralcontainers` subresource, so `kubectl debug` cannot bypass the image rules), of a
    /// workload's main resource, of a PersistentVolumeClaim, or of a DRA ResourceClaim or ResourceClaimTemplate;
    /// and a Binding
    /// (`pods/binding` or the `bindings` resource), which places a pod on a node. Everything else (other
    /// kinds, `status` and `scale`, DELETE, CONNECT) is allowed without evaluation.
    public static func isInScope(_ request: AdmissionRequest) -> Bool {
        guard request.operation == "CREATE" || request.operation == "UPDATE" else { return false }
        if request.kind.group.isEmpty && request.kind.kind == "Pod" {
            return request.subResource.isEmpty || request.subResource == "ephemeralcontainers"
        }
        if request.kind.group.isEmpty && request.kind.kind == "Binding" { return true }
        if request.kind.group.isEmpty && request.kind.kind == "ReplicationController" {
            return request.subResource.isEmpty
        }
        if request.kind.group.isEmpty && request.kind.kind == "PersistentVolumeClaim" {
            return request.subResource.isEmpty
        }
        if request.kind.group == "resource.k8s.io" {
            return request.subResource.isEmpty && deviceClaimKinds.contains(request.kind.kind)
        }
        return request.subResource.isEmpty && workloadKinds[request.kind.group]?.contains(request.kind.kind) == true
    }

    /// The class for a request: the path's class if given (it must exist), else the namespace's class from
    /// the policy, else `defaultClass`.
    public func resolveClass(classFromPath: String?, namespace: String) -> ClassResolution {
        var known: String { policy.classNames.joined(separator: ", ") }
        if let classFromPath {
            if let dataClass = policy.classes[classFromPath] { return .resolved(dataClass) }
            return .unresolved(
                Violation(
                    ruleID: .unknownClass,
                    message:
                        "the request path names data class \(classFromPath.quotedForMessage), which the policy does"
                        + " not define (defined: \(known)); fix the webhook configuration's path",
                    mode: .enforce, path: ""))
        }
        if let name = policy.namespaceClasses[namespace] ?? policy.defaultClass, let dataClass = policy.classes[name] {
            return .resolved(dataClass)
        }
        return .unresolved(
            Violation(
                ruleID: .unknownClass,
                message:
                    "no data class for namespace \(namespace.quotedForMessage): the path names none, the policy maps"
                    + " no class to it and sets no defaultClass (defined: \(known))",
                mode: .enforce, path: ""))
    }

    /// The outcome of class resolution: a class, or the violation that denies the request.
    public enum ClassResolution: Sendable {
        case resolved(DataClass)
        case unresolved(Violation)
    }

    /// Gathers signature evidence for the distinct images of a pod in a class that requires signatures. The
    /// webhook and `image verify` pass one that asks the registry; policy itself stays a pure function of its answer.
    public typealias SignatureVerifier = (_ images: [String], _ dataClass: DataClass) -> [String: SignatureEvidence]

    /// Decides one request. `classFromPath` is the `<class>` of `/validate/<class>` (nil for `/validate`);
    /// `now` decides whether exemptions and signed approvals have expired. `verifySignatures` is called only for a
    /// class with `requireSignatures`, with the images from its allowed registries (so a pod cannot make the
    /// webhook contact an arbitrary host); without it such images are denied as unverified.
    /// Requests out of scope are allowed unexamined (`evaluated == false`); every other outcome, denials
    /// included, is a value, never a thrown error.
    public func evaluate(
        _ request: AdmissionRequest, classFromPath: String?, now: Date, verifySignatures: SignatureVerifier? = nil
    ) -> Decision {
        if let conflict = classConflict(classFromPath: classFromPath, namespace: request.namespace),
            isInScope(request)
        {
            return evaluateStricter(request, conflict: conflict, now: now, verifySignatures: verifySignatures)
        }
        return evaluate(request, in: classFromPath, now: now, verifySignatures: verifySignatures)
    }

    /// Decides one request in the class `classFromPath` names (or the namespace's, for nil), without looking
    /// for a disagreement between the two.
    func evaluate(
        _ request: AdmissionRequest, in classFromPath: String?, now: Date, verifySignatures: SignatureVerifier?
    ) -> Decision {
        var name = request.object?.metadata.name ?? request.name
        if name.isEmpty { name = request.name }
        // A CREATE with generateName has no name yet; `prefix-*` still tells the reader which object it is.
        if name.isEmpty, let prefix = request.object?.metadata.generateName, !prefix.isEmpty { name = prefix + "*" }
        var decision = Decision(
            allowed: true, evaluated: false, className: nil, classMode: nil, subject: "", violations: [],
            exemptions: [], images: [], policySHA256: policySHA256)
        decision.subject = "\(request.kind.kind) \(name.quotedForMessage)"
        guard isInScope(request) else { return decision }
        decision.evaluated = true
        let dataClass: DataClass
        switch resolveClass(classFromPath: classFromPath, namespace: request.namespace) {
        case .resolved(let resolved): dataClass = resolved
        case .unresolved(let violation):
            decision.violations = [violation]
            decision.allowed = false
            return decision
        }
        decision.className = dataClass.name
        decision.classMode = dataClass.mode
        if request.kind.group.isEmpty && request.kind.kind == "PersistentVolumeClaim" {
            // Only a CREATE chooses the storage class: it cannot change afterwards, and resizes must not be blocked.
            let claims =
                request.operation == "CREATE"
                ? [
                    StorageClassCheck.Claim(
                        storageClassName: request.object?.storageClassName, path: "spec.storageClassName",
                        holder: "the claim")
                ] : []
            decision.storageClasses = claims.compactMap {
                StorageClassCheck.effectiveClass($0.storageClassName, policy: policy)
            }
            let findings = StorageClassCheck.check(claims, subject: decision.subject, in: dataClass, policy: policy)
            record(findings, in: &decision, request: request, dataClass: dataClass, now: now)
            return decision
        }
        if let findings = podlessFindings(request, subject: decision.subject, in: dataClass) {
            record(findings, in: &decision, request: request, dataClass: dataClass, now: now)
            return decision
        }
        let configured = policy.workloadKind(group: request.kind.group, kind: request.kind.kind)
        let templates: [ReviewedTemplate]
        do {
            templates = try Self.podTemplates(of: request.object, kind: request.kind.kind, configured: configured)
        } catch {
            decision.violations = [
                Violation(
                    ruleID: .unreadableObject,
                    message: "\(decision.subject): its pod templates cannot be read: \(error.message)",
                    mode: .enforce, path: "object")
            ]
            decision.allowed = false
            return decision
        }
        guard let object = request.object, configured != nil || !templates.isEmpty else {
            decision.violations = [
                Violation(
                    ruleID: .unreadableObject,
                    message:
                        "\(decision.subject): the request carries no \(request.kind.kind) object"
                        + " with a pod spec to check",
                    mode: .enforce, path: "object")
            ]
            decision.allowed = false
            return decision
        }
        let previousObject = request.operation == "UPDATE" ? request.oldObject : nil
        var previousTemplates: [String: ReviewedTemplate] = [:]
        for template
            in (try? Self.podTemplates(of: previousObject, kind: request.kind.kind, configured: configured))
            ?? []
        {
            previousTemplates[template.path] = template
        }
        // Built-in kinds hold one template; a configured kind names each of its templates by path.
        let templatePaths = configured != nil
        var pods: [(pod: PodUnderReview, update: SignificantUpdate?)] = []
        for template in templates {
            let previous = previousTemplates[template.path]
            let pod = PodUnderReview(
                workloadKind: request.kind.kind, workloadName: name, spec: template.spec, specPath: template.path,
                previousNodeName: previous?.spec.nodeName, previousSchedulerName: previous?.spec.schedulerName,
                imageDrivers: policy.imageVolumeDrivers, modelSources: object.modelSources,
                namesTemplatePath: templatePaths, isPatch: template.isPatch, imageFields: template.imageFields)
            // An UPDATE is judged only on what it changes that a rule reads (``SignificantUpdate``).
            var update: SignificantUpdate?
            if let previousObject, let previous {
                let oldPod = PodUnderReview(
                    workloadKind: request.kind.kind, workloadName: name, spec: previous.spec, specPath: template.path,
                    previousNodeName: nil, imageDrivers: policy.imageVolumeDrivers,
                    modelSources: previousObject.modelSources, isPatch: previous.isPatch,
                    imageFields: previous.imageFields)
                update = SignificantUpdate(
                    old: oldPod, new: pod, oldClaims: previousObject.volumeClaimTemplates,
                    newClaims: object.volumeClaimTemplates)
            }
            pods.append((pod, update))
        }
        // A bare pod's own subject is the one already set (`Pod "x"`): built once, as it quotes the name.
        if pods.count == 1, pods[0].pod.isTemplate || name.isEmpty { decision.subject = pods[0].pod.subject }
        for (pod, _) in pods {
            for entry in pod.images {
                if let volume = entry.volume {
                    decision.volumeImages.append(VolumeImage(volume: volume, reference: entry.image))
                } else {
                    decision.images.append(entry.image)
                }
            }
        }
        var seenTypes = Set<String>()
        decision.volumeTypes = pods.flatMap { Self.volumeTypes($0.pod) }.filter { seenTypes.insert($0).inserted }
        if previousObject != nil && !pods.isEmpty && pods.allSatisfy({ $0.update != nil }) {
            let updates = pods.compactMap(\.update)
            decision.updateReason = SignificantUpdate.reason(updates, namingTemplates: templatePaths)
            if updates.allSatisfy(\.isUnchanged) { return decision }
        }
        if dataClass.requireSignatures, let verifySignatures {
            let candidates = pods.flatMap { pod, update in
                guard let update else { return pod.images.map(\.image) }
                let changed = Set(update.changedImagePaths)
                return pod.images.filter { changed.contains($0.path) }.map(\.image)
            }
            let verifiable = Self.verifiableImages(candidates, in: dataClass)
            if !verifiable.isEmpty {
                let evidence = verifySignatures(verifiable, dataClass)
                decision.signatures = verifiable.compactMap { evidence[$0] }
            }
        }
        let evidence = Dictionary(decision.signatures.map { ($0.image, $0) }) { first, _ in first }
        var findings: [Finding] = []
        for (pod, update) in pods {
            let images = pod.parsedImages
            var podFindings = ImageOriginCheck.check(pod, images: images, in: dataClass)
            if dataClass.hasDenyLists {
                podFindings +=
                    DeniedRegistryCheck.check(pod, images: images, in: dataClass)
                    + DeniedImageCheck.check(pod, images: images, in: dataClass)
                    + DeniedTagCheck.check(pod, images: images, in: dataClass)
            }
            if pod.judgesPlacement {
                podFindings +=
                    AcceleratorPlacementCheck.check(pod, in: dataClass, accelerators: policy.accelerators)
                    + TolerationScopeCheck.check(
                        pod, in: dataClass, accelerators: policy.accelerators,
                        foreign: foreignTaints[dataClass.name] ?? [])
                    + NodePoolCheck.check(
                        pod, in: dataClass, poolLabel: policy.accelerators.nodePoolLabel,
                        usesAccelerator: AcceleratorPlacementCheck.usesAccelerator(
                            pod, accelerators: policy.accelerators),
                        foreign: foreignPools[dataClass.name] ?? [:])
                    + ResidencyCheck.check(pod, in: dataClass, policy: policy)
                    + NodeNameCheck.check(pod, in: dataClass)
                    + SchedulerNameCheck.check(pod, in: dataClass)
            }
            let claims = StorageClassCheck.claims(pod, templates: templatePaths ? [] : object.volumeClaimTemplates)
            decision.storageClasses += claims.compactMap {
                StorageClassCheck.effectiveClass($0.storageClassName, policy: policy)
            }
            podFindings +=
                ImageSignatureCheck.check(pod, in: dataClass, evidence: evidence, now: now)
                + InlineCSIDriverCheck.check(pod, in: dataClass)
                + ModelSourceCheck.check(pod, in: dataClass)
                + VolumeTypeCheck.check(pod, in: dataClass)
                + StorageClassCheck.check(claims, subject: pod.subject, in: dataClass, policy: policy)
            if let update { podFindings = podFindings.filter(update.keeps) }
            if pod.isPatch { podFindings = podFindings.filter { PodTemplateKind.judgesPatches($0.rule) } }
            for index in podFindings.indices { podFindings[index].serviceAccount = pod.spec.serviceAccountName }
            findings += podFindings
        }
        record(findings, in: &decision, request: request, dataClass: dataClass, now: now)
        return decision
    }

    /// The pod's distinct volume source types, in spec order, for the audit line.
    private static func volumeTypes(_ pod: PodUnderReview) -> [String] {
        var seen = Set<String>()
        return pod.spec.volumes.map(\.source).filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// The findings for a request that carries no pod spec but places or equips pods: a DRA claim or claim
    /// template, or a Binding; nil for every other kind.
    private func podlessFindings(_ request: AdmissionRequest, subject: String, in dataClass: DataClass) -> [Finding]? {
        let kind = request.kind.kind
        if request.kind.group.isEmpty && kind == "Binding" {
            return NodeBindingCheck.check(
                node: request.object?.bindingTarget ?? "", subject: subject, username: request.userInfo.username,
                in: dataClass, policy: policy)
        }
        guard request.kind.group == "resource.k8s.io", let object = request.object,
            let (requests, path) = object.deviceRequests(forKind: kind)
        else { return nil }
        return DeviceClaimCheck.check(requests, path: path, subject: subject, in: dataClass)
    }

    /// Applies exemptions and modes to `findings`, in order, and decides.
    private func record(
        _ findings: [Finding], in decision: inout Decision, request: AdmissionRequest, dataClass: DataClass, now: Date
    ) {
        let scope = ExemptionScope(namespace: request.namespace, userInfo: request.userInfo, object: request.object)
        for finding in findings {
            if let exemption = policy.exemptions.first(where: {
                $0.lifts(finding, in: scope, className: dataClass.name, now: now)
            }) {
                decision.exemptions.append(
                    AppliedExemption(
                        ruleID: finding.rule, subject: exemption.subjectDescription, reason: exemption.reason,
                        message: finding.message))
                continue
            }
            decision.violations.append(
                Violation(
                    ruleID: finding.rule, message: finding.message, mode: dataClass.mode(for: finding.rule),
                    path: finding.path))
        }
        decision.allowed = decision.denials.isEmpty
    }

    /// What policy concludes from one image's signature evidence in `dataClass`: the violations, each in the
    /// class's mode for its rule (empty: the image passes). `portcullis image verify` uses it to explain a verdict
    /// the same way the webhook reaches it.
    public func signatureViolations(image: String, evidence: SignatureEvidence?, in dataClass: DataClass, now: Date)
        -> [Violation]
    {
        ImageSignatureCheck.findings(
            image: image, evidence: evidence, in: dataClass, now: now, subject: "image check", path: ""
        )
        .map { Violation(ruleID: $0.rule, message: $0.message, mode: dataClass.mode(for: $0.rule), path: $0.path) }
    }

    /// The distinct images that parse and come from one of the class's registries: the only ones worth a
    /// registry request (the others are denied by `image-reference` or `registry-origin` anyway).
    static func verifiableImages(_ images: [String], in dataClass: DataClass) -> [String] {
        var seen = Set<String>()
        return images.filter { image in
            guard seen.insert(image).inserted, let reference = try? ImageReference.parse(image) else { return false }
            return dataClass.registries.contains { ImageReference.repository(reference.repository, isUnder: $0) }
        }
    }

}
