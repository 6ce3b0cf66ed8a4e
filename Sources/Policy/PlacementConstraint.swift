import AdmissionAPI

/// Whether a pod spec confines the pod to nodes whose label (one of ``keys``) has an allowed value.
///
/// Kubernetes schedules a pod only on nodes that match `nodeSelector` AND the required node affinity,
/// where affinity `nodeSelectorTerms` are ORed and the expressions inside one term are ANDed. So the pod
/// is confined when `nodeSelector` sets a key to an allowed value, or when *every* term has an `In`
/// expression on a key whose values are all allowed. `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`,
/// `matchFields` and terms without the key constrain nothing (`NotIn` and `DoesNotExist` even match nodes
/// without the label); an empty term (no expressions, no fields) matches no node at all, so it never widens the
/// set; preferred affinity never counts. A value that names a forbidden zone or pool is
/// reported even when another constraint would keep the pod out of it: the manifest asks for it.
struct PlacementConstraint {
    /// What the label means, for messages: `zone`, `region`, `GPU node pool`.
    var noun: String
    /// Equivalent label keys (the deprecated `failure-domain.beta.kubernetes.io/*` keys included).
    var keys: [String]
    var allowed: [String]
    /// Labels whose value decides ours (a zone decides its region), and how: a zone selector confines the pod to
    /// the zone's region as surely as a region selector would.
    var derivedKeys: [String] = []
    var derive: (String) -> String = { $0 }

    enum Problem {
        /// A selector or `In` expression names a value outside the allowed set.
        case forbidden(path: String, key: String, value: String)
        /// Nothing proves the pod stays inside the allowed set; the reason says what is missing.
        case unconfined(reason: String)
    }

    func problems(in spec: PodSpec, specPath: String) -> [Problem] {
        var problems: [Problem] = []
        var confined = false
        for key in keys + derivedKeys {
            guard let value = spec.nodeSelector[key] else { continue }
            if allowed.contains(keys.contains(key) ? value : derive(value)) {
                confined = true
            } else {
                problems.append(.forbidden(path: "\(specPath).nodeSelector", key: key, value: value))
            }
        }
        // Reasons are built only when reported: this runs for every request.
        var unconfinedReason = { "neither nodeSelector nor a required node affinity sets \(keys[0])" }
        if let terms = spec.requiredNodeAffinity {
            var affinityPath: String {
                "\(specPath).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
            }
            var everyTermConfined = !terms.isEmpty
            if terms.isEmpty { unconfinedReason = { "the required node affinity has no terms" } }
            for (index, term) in terms.enumerated() {
                // Kubernetes: a term with neither matchExpressions nor matchFields matches no node, so it lets the
                // pod onto none outside the allowed set.
                var termConfined = term.matchExpressions.isEmpty && term.matchFields.isEmpty
                for (expressionIndex, expression) in term.matchExpressions.enumerated()
                where expression.operator == "In"
                    && (keys.contains(expression.key) || derivedKeys.contains(expression.key))
                {
                    let derived = !keys.contains(expression.key)
                    let forbidden = expression.values.filter { !allowed.contains(derived ? derive($0) : $0) }
                    for value in forbidden {
                        let path = "\(affinityPath).nodeSelectorTerms[\(index)].matchExpressions[\(expressionIndex)]"
                        problems.append(.forbidden(path: path, key: expression.key, value: value))
                    }
                    if forbidden.isEmpty && !expression.values.isEmpty { termConfined = true }
                }
                if !termConfined && everyTermConfined {
                    everyTermConfined = false
                    unconfinedReason = {
                        "required node affinity term \(index) has no \(keys[0]) In [allowed values]"
                            + " (terms are ORed, so that term admits any \(noun);"
                            + " NotIn, Exists, DoesNotExist, Gt and Lt"
                            + " prove nothing)"
                    }
                }
            }
            if everyTermConfined { confined = true }
        }
        if !confined && problems.isEmpty { problems.append(.unconfined(reason: unconfinedReason())) }
        return problems
    }
}
