#!/usr/bin/env python3
"""Regenerates Tests/SignaturesTests/Fixtures/signer/: public keys and signed payloads, private keys discarded.

Usage: make_fixtures.py OUTDIR. Every case is a real signature by a fresh key; the Swift tests decide what each
case must produce.
"""
import base64
import json
import sys
from pathlib import Path

import cosign_format as cf

IMAGE = "registry.internal/ml/trainer"
DIGEST = "sha256:" + "ab" * 32
OTHER_DIGEST = "sha256:" + "cd" * 32


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    keys = {kind: cf.new_key(kind) for kind in ("p256", "p384", "rsa", "ed25519")}
    keys["p256-next"] = cf.new_key("p256")
    for name, key in keys.items():
        (out / f"{name}.pub").write_bytes(cf.public_pem(key))
    cases = {}

    def simple(name, key, payload):
        cases[name] = {"format": "simple", "key": key, "blob": base64.b64encode(payload).decode(),
                       "signature": base64.b64encode(cf.sign(keys[key], payload)).decode()}

    def bundled(name, key, document):
        cases[name] = {"format": "bundle", "key": key, "blob": base64.b64encode(document).decode()}

    for kind in ("p256", "p384", "rsa", "ed25519"):
        simple(f"simple-{kind}", kind, cf.simple_signing_payload(IMAGE, DIGEST))
    simple("simple-next-key", "p256-next", cf.simple_signing_payload(IMAGE, DIGEST))
    simple("simple-other-digest", "p256", cf.simple_signing_payload(IMAGE, OTHER_DIGEST))
    simple("simple-other-repository", "p256", cf.simple_signing_payload("registry.internal/ml/other", DIGEST))
    simple("simple-intake-repository", "p256", cf.simple_signing_payload("intake.example/team/trainer", DIGEST))
    simple("simple-wrong-type", "p256", cf.simple_signing_payload(IMAGE, DIGEST, kind="some other document"))
    simple("simple-annotated", "p256", cf.simple_signing_payload(
        IMAGE, DIGEST, {"approved-for": "ephi,internal", "expires": "2030-01-01T00:00:00Z", "build": 42}))
    bundled("bundle-p256", "p256", cf.bundle(keys["p256"], IMAGE, DIGEST, {"approved-for": "ephi"}))
    bundled("bundle-ed25519", "ed25519", cf.bundle(keys["ed25519"], IMAGE, DIGEST))
    bundled("bundle-other-digest", "p256", cf.bundle(keys["p256"], IMAGE, OTHER_DIGEST))
    bundled("bundle-attestation", "p256",
            cf.bundle(keys["p256"], IMAGE, DIGEST, predicate_type="https://slsa.dev/provenance/v1"))
    document = {"image": IMAGE, "digest": DIGEST, "cases": cases}
    (out / "cases.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
