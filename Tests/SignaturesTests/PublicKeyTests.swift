import Foundation
import PortcullisCrypto
import Testing

@Suite struct PublicKeyTests {
    @Test(arguments: [
        ("p256", PublicKey.Algorithm.ecdsaP256), ("p384", .ecdsaP384), ("p521", .ecdsaP521), ("rsa", .rsa),
        ("ed25519", .ed25519),
    ])
    func loadsEachSupportedKeyType(name: String, algorithm: PublicKey.Algorithm) throws {
        #expect(try FixtureData.signerKey(name).algorithm == algorithm)
    }

    @Test func fingerprintIsTheSHA256OfTheDERSubjectPublicKeyInfo() throws {
        // Known answer from `openssl pkey -pubin -outform der | sha256sum`.
        let key = try FixtureData.key("containers-image-fulcio-cert-key.pub")
        #expect(key.fingerprint == "sha256:0b2c1444d56de99d728bb9c9a09bb915f317155773a3d3ca2c3247106151ac31")
    }

    // P-521 left this list when cosign's P-521 signatures became accepted (issue 14); a curve no sigstore
    // signer uses took its place.
    @Test(arguments: ["signer/rsa1024.pub", "signer/hashes/secp256k1.pub"])
    func refusesWeakOrUnsupportedKeys(name: String) {
        #expect(throws: OpenSSLError.self) { try FixtureData.key(name) }
    }

    @Test func refusesTextThatIsNotAPublicKey() {
        #expect(throws: OpenSSLError.self) { try PublicKey(pem: Array("not a key".utf8)) }
        #expect(throws: OpenSSLError.self) { try PublicKey(pem: FixtureData.bytes("containers-image-rekor-sig.b64")) }
    }

    @Test func rejectsEmptyAndTruncatedSignatures() throws {
        let key = try FixtureData.key("containers-image-fulcio-cert-key.pub")
        let payload = FixtureData.bytes("containers-image-rekor-payload.json")
        let signature = [UInt8](Data(base64Encoded: FixtureData.text("containers-image-rekor-sig.b64"))!)
        #expect(key.isValidSignature(signature, for: payload))
        #expect(!key.isValidSignature([], for: payload))
        #expect(!key.isValidSignature(Array(signature.dropLast()), for: payload))
        #expect(!key.isValidSignature(signature, for: payload + [0x0a]))
    }
}
