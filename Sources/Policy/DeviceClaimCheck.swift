import AdmissionAPI

/// Rules `device-class` and `device-count`: a DRA ResourceClaim or ResourceClaimTemplate asks only for the
/// devices its class allows, and no more of them than it allows. Pods cannot name a device class, only these
/// objects can, so this is where which and how many devices are decided.
///
/// Reads: every request of `spec.devices.requests` (claim) or `spec.spec.devices.requests` (template), in the
/// v1/v1beta2 shape (`exactly`, every `firstAvailable` alternative) and the v1beta1 shape (fields on the
/// request): `deviceClassName`, `allocationMode`, `count`.
/// Allows: every choice naming one of the class's `deviceClasses` (an entry ending in `*` is a prefix; the
/// default is `accelerators.deviceClasses` for a class with accelerator pools, none otherwise);
/// `allocationMode: All` only where the class sets `allowAllocationModeAll`; at most `maxDevicesPerClaim`
/// devices in all, counting each request at its largest alternative. Selectors (CEL) are not judged.
enum DeviceClaimCheck {
    static func check(
        _ requests: [DeviceRequest], path: String, subject: String, in dataClass: DataClass
    ) -> [Finding] {
        var findings: [Finding] = []
        var className: String { dataClass.name.quotedForMessage }
        var allowedClasses: String {
            dataClass.deviceClasses.isEmpty
                ? "none (it has no accelerator pools and lists no deviceClasses)"
                : dataClass.deviceClasses.joined(separator: ", ")
        }
        var total = 0
        for (index, request) in requests.enumerated() {
            let requestPath = "\(path)[\(index)]"
            var phrase: String { "request \(request.name.quotedForMessage) (\(requestPath))" }
            if request.choices.isEmpty {
                findings.append(
                    Finding(
                        rule: .deviceClass, path: requestPath,
                        message: "\(subject): \(phrase) names no device class; set exactly.deviceClassName to one"
                            + " class \(className) allows: \(allowedClasses)"))
            }
            var largest = 0
            for choice in request.choices {
                let choicePath = choice.field.isEmpty ? requestPath : "\(requestPath).\(choice.field)"
                if !choice.deviceClassName.isListed(in: dataClass.deviceClasses) {
                    findings.append(
                        Finding(
                            rule: .deviceClass, path: "\(choicePath).deviceClassName",
                            message: "\(subject): \(choicePath).deviceClassName is"
                                + " \(choice.deviceClassName.quotedForMessage), a device class that class"
                                + " \(className) does not allow; allowed: \(allowedClasses)"))
                }
                if choice.allocationMode == "All" {
                    if !dataClass.allowAllocationModeAll {
                        findings.append(
                            Finding(
                                rule: .deviceCount, path: "\(choicePath).allocationMode",
                                message: "\(subject): \(choicePath).allocationMode is \"All\", every matching device"
                                    + " of a node however many; class \(className) does not allow it: use"
                                    + " allocationMode ExactCount with a count"
                                    + (dataClass.maxDevicesPerClaim.map { " of at most \($0)" } ?? "")))
                    }
                    continue
                }
                largest = max(largest, choice.count ?? 1)
            }
            total += largest
        }
        if let limit = dataClass.maxDevicesPerClaim, total > limit {
            findings.append(
                Finding(
                    rule: .deviceCount, path: path,
                    message: "\(subject): \(path) requests \(total) devices in all (each request counted at its"
                        + " largest alternative); class \(className) allows at most \(limit) per claim"))
        }
        return findings
    }
}
