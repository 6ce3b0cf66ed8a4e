import AdmissionAPI

extension Toleration {
    /// Kubernetes' `ToleratesTaint`: an empty effect matches every effect, an empty key matches every key,
    /// an empty operator means `Equal`, `Exists` ignores the value, any other operator matches nothing.
    /// A taint whose value the policy leaves open (nil) is tolerated for sure only by `Exists`.
    func certainlyTolerates(_ taint: Taint) -> Bool {
        guard effect.isEmpty || effect == taint.effect, key.isEmpty || key == taint.key else { return false }
        switch self.operator {
        case "Exists": return true
        case "", "Equal": return taint.value.map { $0 == value } ?? false
        default: return false
        }
    }

    /// Whether this toleration tolerates `taint` for some value the nodes might carry: like
    /// ``certainlyTolerates(_:)``, but a taint with an open value is matched by any `Equal` on its key.
    func mayTolerate(_ taint: Taint) -> Bool {
        guard effect.isEmpty || effect == taint.effect, key.isEmpty || key == taint.key else { return false }
        switch self.operator {
        case "Exists": return true
        case "", "Equal": return taint.value.map { $0 == value } ?? true
        default: return false
        }
    }

    /// The toleration as YAML-ish text for messages: `{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}`.
    var summary: String {
        var parts: [String] = []
        if !key.isEmpty { parts.append("key: \(key.quotedForMessage)") }
        parts.append("operator: \(self.operator.isEmpty ? "Equal (default)" : self.operator.quotedForMessage)")
        if !value.isEmpty { parts.append("value: \(value.quotedForMessage)") }
        parts.append("effect: \(effect.isEmpty ? "(empty: every effect)" : effect.quotedForMessage)")
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
