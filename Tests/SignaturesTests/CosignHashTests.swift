import AdmissionAPI
import PortcullisCrypto
import Testing

@testable import Signatures

/// Signatures made as cosign makes them with each key type: cosign pairs every ECDSA key with SHA-256, so a P-384
/// or P-521 key's signature is over SHA-256; the sigstore algorithm registry adds P-384/SHA-384, P-521/SHA-512 and
/// RSA-PSS. Made by the independent signer (`Tests/Support/signer/make_hash_fixtures.py`).
@Suite struct CosignHashTests {
    static let image = try! ImageReference.parse(FixtureData.hashes.image)

    static func check(_ caseName: String) throws -> SignatureCheck {
        let fixture = FixtureData.hashes.cases[caseName]!
        let authority = Authority(
            name: "release", keys: [try FixtureData.signerKey("hashes/\(fixture.key)")],
            imagePatterns: [ImagePattern("registry.internal/**")])
        return SignatureCheck.run(
            fixture.candidate(), image: image, digest: FixtureData.hashes.digest, authority: authority)
    }

    @Test(arguments: [
        ("p384", PublicKey.Algorithm.ecdsaP384), ("p521", .ecdsaP521), ("rsa3072", .rsa), ("rsa4096", .rsa),
    ])
    func loadsTheKeysCosignSignsWith(name: String, algorithm: PublicKey.Algorithm) throws {
        #expect(try FixtureData.signerKey("hashes/\(name)").algorithm == algorithm)
    }

    @Test func refusesACurveNoSigstoreSignerUses() {
        #expect(throws: OpenSSLError.self) { try FixtureData.signerKey("hashes/secp256k1") }
    }

    /// Each row: a signed case and the scheme the verification step must name.
    @Test(arguments: [
        ("p384-sha256", "ECDSA P-384 with SHA-256"),
        ("p384-sha384", "ECDSA P-384 with SHA-384"),
        ("p521-sha256", "ECDSA P-521 with SHA-256"),
        ("p521-sha512", "ECDSA P-521 with SHA-512"),
        ("rsa3072-pkcs1-sha256", "RSA PKCS#1 v1.5 with SHA-256"),
        ("rsa3072-pss-sha256", "RSA-PSS with SHA-256"),
        ("rsa4096-pss-sha256", "RSA-PSS with SHA-256"),
        ("bundle-p384-sha256", "ECDSA P-384 with SHA-256"),
    ])
    func verifiesWhatCosignSigns(caseName: String, scheme: String) throws {
        let check = try Self.check(caseName)
        #expect(try check.result.get().digest == FixtureData.hashes.digest)
        #expect(
            check.steps.contains { $0.hasPrefix("ok   signature verifies") && $0.contains(scheme) }, "\(check.steps)")
    }

    @Test(arguments: ["p384-sha1", "rsa3072-pkcs1-sha1", "rsa3072-pss-sha512"])
    func refusesHashesCosignNeverSignsWith(caseName: String) throws {
        #expect(rejection(try Self.check(caseName)).contains("does not verify with any key of authority release"))
    }
}
