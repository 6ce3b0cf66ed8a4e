#!/usr/bin/env python3
"""Regenerates Tests/SignaturesTests/Fixtures/keyless/local/: a local Fulcio/Rekor PKI and keyless signatures.

Usage: make_keyless_fixtures.py OUTDIR. Private keys are discarded; the Swift tests decide what each case must
produce.
"""
import json
import sys
from pathlib import Path

import cosign_format as cf
import keyless_format as kf

IMAGE = "registry.internal/ml/trainer"
DIGEST = "sha256:" + "ab" * 32
START = 1767225600  # 2026-01-01T00:00:00Z: the CAs and log become valid
SIGNED = START + 86400  # leaves are issued a day later and live ten minutes
WORKFLOW = "https://github.com/corp/trainer/.github/workflows/release.yml@refs/heads/main"
GITHUB = "https://token.actions.githubusercontent.com"


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    root = kf.CA("test root", START)
    intermediate = kf.CA("test intermediate", START, parent=root)
    stranger = kf.CA("stranger root", START)
    rekor = kf.Rekor()
    payload = cf.simple_signing_payload(IMAGE, DIGEST)
    cases = {}

    def leaf(**kwargs):
        ca = kwargs.pop("ca", intermediate)
        return ca.leaf(SIGNED, **kwargs)

    key, cert = leaf(uri=WORKFLOW, issuer=GITHUB, deprecated_issuer=GITHUB)
    cases["legacy-workflow"] = kf.legacy(key, cert, [intermediate.cert], rekor, payload, SIGNED + 30, 1001)
    cases["legacy-workflow-after-expiry"] = kf.legacy(key, cert, [], rekor, payload, SIGNED + 900, 1002)
    cases["bundle-workflow"] = kf.bundle(key, cert, rekor, IMAGE, DIGEST, SIGNED + 30, 1003)
    key, cert = leaf(uri=WORKFLOW.replace("refs/heads/main", "refs/heads/feature"), issuer=GITHUB)
    cases["legacy-feature-branch"] = kf.legacy(key, cert, [], rekor, payload, SIGNED + 30, 1004)
    key, cert = leaf(email="release@corp.example", issuer="https://accounts.google.com")
    cases["legacy-email"] = kf.legacy(key, cert, [], rekor, payload, SIGNED + 30, 1005)
    key, cert = leaf(email="release@corp.example", deprecated_issuer="https://accounts.google.com")
    cases["legacy-deprecated-issuer-only"] = kf.legacy(key, cert, [], rekor, payload, SIGNED + 30, 1006)
    key, cert = leaf(uri=WORKFLOW, issuer=GITHUB, deprecated_issuer="https://accounts.google.com")
    cases["legacy-issuers-disagree"] = kf.legacy(key, cert, [], rekor, payload, SIGNED + 30, 1007)
    key, cert = leaf(uri=WORKFLOW, issuer=GITHUB, code_signing=False)
    cases["legacy-no-code-signing"] = kf.legacy(key, cert, [], rekor, payload, SIGNED + 30, 1008)
    key, cert = leaf(uri=WORKFLOW, issuer=GITHUB, ca=stranger)
    cases["legacy-untrusted-ca"] = kf.legacy(key, cert, [stranger.cert], rekor, payload, SIGNED + 30, 1009)
    key, cert = leaf(uri=WORKFLOW)
    cases["legacy-no-issuer"] = kf.legacy(key, cert, [], rekor, payload, SIGNED + 30, 1010)
    other_rekor = kf.Rekor()
    key, cert = leaf(uri=WORKFLOW, issuer=GITHUB)
    cases["legacy-unknown-log"] = kf.legacy(key, cert, [], other_rekor, payload, SIGNED + 30, 1011)

    (out / "trusted_root.json").write_text(
        json.dumps(kf.trusted_root([[intermediate.cert, root.cert]], rekor, START), indent=1) + "\n")
    document = {"image": IMAGE, "digest": DIGEST, "workflow": WORKFLOW, "cases": cases}
    (out / "cases.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
