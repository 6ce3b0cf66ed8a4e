#!/usr/bin/env python3
"""Regenerates Tests/SignaturesTests/Fixtures/signer/hashes/: signatures with each hash and padding cosign makes.

Usage: make_hash_fixtures.py OUTDIR. Fresh keys, private halves discarded; the Swift tests decide what each case
must produce. Separate from make_fixtures.py so adding these did not re-key the older fixtures.

Why these cases: cosign's key loader pairs every ECDSA key with SHA-256, so a P-384 or P-521 key signs SHA-256;
the sigstore algorithm registry also names P-384/SHA-384 and P-521/SHA-512, and RSA with PKCS#1 v1.5 or PSS over
SHA-256 (PSS salt as long as the digest). SHA-1 variants are there to be refused.
"""
import base64
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec, rsa

import cosign_format as cf

IMAGE = "registry.internal/ml/trainer"
DIGEST = "sha256:" + "ab" * 32


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    keys = {"p384": cf.new_key("p384"), "p521": cf.new_key("p521"),
            "rsa3072": rsa.generate_private_key(public_exponent=65537, key_size=3072),
            "rsa4096": rsa.generate_private_key(public_exponent=65537, key_size=4096)}
    for name, key in keys.items():
        (out / f"{name}.pub").write_bytes(cf.public_pem(key))
    # A curve no sigstore signer uses: the key must be refused at load.
    (out / "secp256k1.pub").write_bytes(cf.public_pem(ec.generate_private_key(ec.SECP256K1())))
    payload = cf.simple_signing_payload(IMAGE, DIGEST)
    cases = {}

    def simple(name, key, digest="sha256", rsa_padding="pkcs1"):
        signature = cf.sign(keys[key], payload, digest, rsa_padding)
        cases[name] = {"format": "simple", "key": key, "blob": base64.b64encode(payload).decode(),
                       "signature": base64.b64encode(signature).decode()}

    simple("p384-sha256", "p384")
    simple("p384-sha384", "p384", "sha384")
    simple("p384-sha1", "p384", "sha1")
    simple("p521-sha256", "p521")
    simple("p521-sha512", "p521", "sha512")
    simple("rsa3072-pkcs1-sha256", "rsa3072")
    simple("rsa3072-pss-sha256", "rsa3072", rsa_padding="pss")
    simple("rsa4096-pss-sha256", "rsa4096", rsa_padding="pss")
    simple("rsa3072-pkcs1-sha1", "rsa3072", "sha1")
    simple("rsa3072-pss-sha512", "rsa3072", "sha512", "pss")
    cases["bundle-p384-sha256"] = {"format": "bundle", "key": "p384",
                                   "blob": base64.b64encode(cf.bundle(keys["p384"], IMAGE, DIGEST)).decode()}
    document = {"image": IMAGE, "digest": DIGEST, "cases": cases}
    (out / "cases.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
