import Foundation
import PortcullisCrypto

/// The keyless evidence attached to one signature: the Fulcio leaf certificate, any chain the signer shipped, and
/// the Rekor entry proving when the signature was logged.
struct KeylessMaterial {
    static let certificateAnnotation = "dev.sigstore.cosign/certificate"
    static let chainAnnotation = "dev.sigstore.cosign/chain"
    static let bundleAnnotation = "dev.sigstore.cosign/bundle"

    let certificate: Certificate
    /// Untrusted path material only; trust comes from the trusted root alone.
    let chain: [Certificate]
    /// `nil` when the signature carries no log entry, which a keyless authority refuses.
    let entry: RekorEntry?
    /// DER RFC 3161 `TimeStampResp`s over the signature (`timestampVerificationData.rfc3161Timestamps`): how a
    /// Rekor v2 bundle proves its signing time. Empty for legacy `.sig` layers.
    let timestamps: [[UInt8]]

    /// From the legacy `.sig` layer annotations; `nil` when the layer has no certificate (a key-based signature).
    init?(annotations: [String: String]) throws(PayloadError) {
        guard let pem = annotations[KeylessMaterial.certificateAnnotation] else { return nil }
        do {
            certificate = try Certificate.pemCertificates(
                Array(pem.utf8), source: KeylessMaterial.certificateAnnotation)[0]
            // cosign writes an empty chain annotation when Fulcio returned no chain; that is no chain, not an error.
            let chainPEM = annotations[KeylessMaterial.chainAnnotation] ?? ""
            chain =
                chainPEM.allSatisfy(\.isWhitespace)
                ? [] : try Certificate.pemCertificates(Array(chainPEM.utf8), source: KeylessMaterial.chainAnnotation)
        } catch { throw PayloadError("\(error)") }
        entry = try annotations[KeylessMaterial.bundleAnnotation].map { text throws(PayloadError) in
            try RekorEntry(cosignBundle: text)
        }
        timestamps = []
    }

    /// From a sigstore bundle's `verificationMaterial`; `nil` when it holds a public-key hint instead of a certificate.
    init?(bundle bytes: [UInt8]) throws(PayloadError) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let material = root["verificationMaterial"] as? [String: Any]
        else { throw PayloadError("the bundle has no verificationMaterial") }
        var encoded: [String] = []
        if let single = (material["certificate"] as? [String: Any])?["rawBytes"] as? String {
            encoded = [single]
        } else if let chain = (material["x509CertificateChain"] as? [String: Any])?["certificates"] as? [[String: Any]]
        {
            encoded = chain.compactMap { $0["rawBytes"] as? String }
        }
        guard !encoded.isEmpty else { return nil }
        var certificates: [Certificate] = []
        for text in encoded {
            guard let der = Data(base64Encoded: text) else { throw PayloadError("a bundle certificate is not base64") }
            do {
                certificates.append(try Certificate(der: [UInt8](der), source: "the bundle's verificationMaterial"))
            } catch {
                throw PayloadError("\(error)")
            }
        }
        certificate = certificates[0]
        chain = Array(certificates.dropFirst())
        let entries = material["tlogEntries"] as? [[String: Any]] ?? []
        entry = try entries.first.map { item throws(PayloadError) in try RekorEntry(tlogEntry: item) }
        let stamps = (material["timestampVerificationData"] as? [String: Any])?["rfc3161Timestamps"] as? [Any] ?? []
        var timestamps: [[UInt8]] = []
        for stamp in stamps {
            guard let text = (stamp as? [String: Any])?["signedTimestamp"] as? String,
                let der = Data(base64Encoded: text), !der.isEmpty
            else { throw PayloadError("a bundle RFC 3161 timestamp has no base64 signedTimestamp") }
            timestamps.append([UInt8](der))
        }
        self.timestamps = timestamps
    }
}
