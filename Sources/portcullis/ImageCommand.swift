import ArgumentParser
import Dispatch
import Foundation
import Policy
import Signatures
import Webhook

/// `portcullis image …`: tools for the image checks the webhook makes.
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Inspect how Portcullis sees an image.", subcommands: [ImageVerifyCommand.self])
}

/// `portcullis image verify REF --policy P --class C`: the webhook's signature verification for one image, printed
/// step by step — what a developer reaches for when an image is denied.
///
/// Same code path as `serve`: the policy is loaded by the webhook's `PolicyStore` (keys, CA bundles and credentials
/// included), the image is verified by its `SignatureVerification`, and the verdict comes from the policy's
/// signature rules with the class's promotion annotations.
struct ImageVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify an image's signatures exactly as the webhook would for a data class.")

    @Argument(help: "The image, e.g. registry.internal/ml/trainer@sha256:… (a tag is resolved, with a warning).")
    var image: String

    @Option(help: "Policy file (YAML), as given to `portcullis serve`.")
    var policy: String

    @Option(name: .customLong("class"), help: "The data class whose signature requirement applies.")
    var className: String

    @Option(help: "Overall budget in seconds (default: the class's signatures.budget).")
    var timeout: Double?

    func run() throws {
        let loaded: PolicyStore.Loaded
        do { loaded = try PolicyStore(path: policy).current } catch { throw ValidationError("\(error)") }
        guard let dataClass = loaded.document.classes[className] else {
            throw ValidationError(
                "class \(className) is not defined (defined: \(loaded.document.classNames.joined(separator: ", ")))")
        }
        guard dataClass.requireSignatures, let requirement = dataClass.signatures, let signatures = loaded.signatures
        else {
            print("class \(className) does not require signatures; the webhook verifies nothing for it")
            return
        }
        let budget = timeout.map { Duration.milliseconds(Int(max(0.1, $0) * 1000)) } ?? requirement.budget
        let deadline = DispatchTime.now().uptimeNanoseconds + budget.nanoseconds

        print("image      \(image)")
        print(
            "class      \(className): \(requirement.requireAll ? "all" : "one") of \(requirement.authorities.joined(separator: ", ")) must have signed"
        )
        for name in requirement.authorities {
            guard let authority = signatures.authorities[name] else { continue }
            let scope =
                "images \(authority.imagePatterns.map(\.text).joined(separator: ", ")); identity \(authority.identity)"
            if let keyless = authority.keyless {
                print(
                    "trusting   keyless signers for authority \(name) (\(scope)): Fulcio and Rekor from \(keyless.trustedRoot.source)"
                        + " \(keyless.trustedRoot.fingerprint); issuer \(keyless.issuer); subjects "
                        + keyless.subjects.map(\.description).joined(separator: ", "))
            }
            for key in authority.keys {
                print("trusting   \(key) for authority \(name) (\(scope))")
            }
        }
        for attestation in requirement.attestations {
            print("requiring  \(attestation.name) signed by one of them")
        }
        guard let outcome = signatures.verify(images: [image], in: dataClass, deadline: deadline)[image] else { return }
        if let digest = outcome.digest { print("digest     \(digest)") }
        if outcome.fromCache { print("cache      answered from the verification cache") }
        for warning in outcome.warnings { print("warning    \(warning)") }
        for check in outcome.checks {
            print("\nsignature  \(check.candidate) (authority \(check.authority))")
            for step in check.steps { print("  \(step)") }
        }
        print("")
        if case .success(let verified) = outcome.result {
            for signature in verified {
                let annotations = signature.annotations.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                let signer = signature.signer.map { "keyless signer \($0), certificate" } ?? "key"
                print(
                    "verified   by \(signature.authority) with \(signer) \(signature.keyFingerprint) (\(signature.format.rawValue))"
                        + (annotations.isEmpty ? "" : "; annotations: \(annotations.joined(separator: ", "))"))
            }
        }
        let evidence = SignatureEvidence(outcome)
        let now = Date()
        let decided = evidence.decidingAttestations(in: dataClass, now: now)
        for attestation in evidence.attestations {
            let facts = [
                attestation.builderID.map { "builder \($0)" },
                attestation.sourceRepository.map { "source \($0)" + (attestation.sourceRef.map { " at \($0)" } ?? "") },
                attestation.maxSeverity.map { "highest severity \($0)" },
                attestation.scanFinishedOn.map { "scanned \($0)" },
            ].compactMap { $0 }
            print(
                "attested   \(attestation.predicateType) by \(attestation.authority), bundle \(attestation.bundleDigest)"
                    + (facts.isEmpty ? "" : "; " + facts.joined(separator: ", "))
                    + (decided.contains(attestation) ? " (decided on)" : ""))
        }
        let violations = loaded.engine.signatureViolations(image: image, evidence: evidence, in: dataClass, now: now)
        for violation in violations {
            print(
                "\(violation.mode.rawValue.uppercased().padding(toLength: 10, withPad: " ", startingAt: 0)) \(violation.text)"
            )
        }
        if violations.contains(where: { $0.mode == .enforce }) {
            print("DENIED")
            throw ExitCode(1)
        }
        print("ALLOWED")
    }
}
