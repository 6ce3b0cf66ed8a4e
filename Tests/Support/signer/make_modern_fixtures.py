#!/usr/bin/env python3
"""Regenerates Tests/SignaturesTests/Fixtures/keyless/modern/: v0.3 bundles as signed since Rekor v2.

Usage: make_modern_fixtures.py OUTDIR. A local Fulcio CA, a Rekor v2 log (Ed25519, inclusion proofs against C2SP
checkpoints, no SignedEntryTimestamp), a Rekor v1 log (P-256) and a TSA (`openssl ts`), plus one bundle per way
an attacker could bend the proof. `openssl ts` stamps the current time, so leaf certificates are issued around
now; verification stays offline and uses the stamped time, so the fixtures never go stale. Private keys are
discarded; the Swift tests decide what each case must produce.
"""
import datetime
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519

import keyless_format as kf
import modern_format as mf

IMAGE = "registry.internal/ml/trainer"
DIGEST = "sha256:" + "ab" * 32
WORKFLOW = "https://github.com/corp/trainer/.github/workflows/release.yml@refs/heads/main"
GITHUB = "https://token.actions.githubusercontent.com"


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    start = now - 86400
    when = kf.utc(start).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = kf.CA("test root", start)
    intermediate = kf.CA("test intermediate", start, parent=root)
    v2 = mf.Log("log2026-test.rekor.local", 2)
    v1 = mf.Log("rekor.local", 1, tree_id="1193050959916656506")
    year = datetime.timedelta(days=365)
    tsa = mf.TSA("trusted", kf.utc(start), kf.utc(start) + 5 * year)
    stranger_tsa = mf.TSA("stranger", kf.utc(start), kf.utc(start) + 5 * year)
    cases = {}

    def signed(not_before=now - 60):
        key, cert = intermediate.leaf(not_before, uri=WORKFLOW, issuer=GITHUB)
        payload, signature, envelope = kf.envelope(key, IMAGE, DIGEST)
        return key, cert, payload, signature, envelope

    def v2_case(name, body=None, proof=None, stamps=None, not_before=now - 60, **proof_options):
        key, cert, payload, signature, envelope = signed(not_before)
        body = body or mf.dsse_v2_body(payload, signature, cert)
        index = v2.append(body)
        proof = proof or v2.proof(index, **proof_options)
        stamps = [tsa.stamp(signature)] if stamps is None else stamps(signature)
        entry = mf.tlog_entry(v2, body, index, proof, "dsse")
        cases[name] = {"format": "bundle", "blob": mf.dump(mf.bundle_document(cert, envelope, entry, stamps))}
        return payload, signature, cert, index

    v2_case("v2-tsa")
    v2_case("v2-no-timestamp", stamps=lambda _: [])
    v2_case("v2-tsa-over-other-bytes", stamps=lambda signature: [tsa.stamp(signature + b"!")])
    v2_case("v2-tsa-not-trusted", stamps=lambda signature: [stranger_tsa.stamp(signature)])
    # The leaf becomes valid an hour after the TSA's time: the signature predates its certificate.
    v2_case("v2-tsa-before-certificate", not_before=now + 3600)
    v2_case("v2-checkpoint-unknown-key", signer=ed25519.Ed25519PrivateKey.generate())
    v2_case("v2-checkpoint-other-origin", origin="log2026-other.rekor.local")
    # A consistent proof of a smaller tree, against a checkpoint signed for the whole tree.
    key, cert, payload, signature, envelope = signed()
    body = mf.dsse_v2_body(payload, signature, cert)
    index = v2.append(body)
    v2.append(b"later entry")
    small = v2.proof(index, size=index + 1)
    small["checkpoint"] = v2.proof(index)["checkpoint"]
    entry = mf.tlog_entry(v2, body, index, small, "dsse")
    cases["v2-checkpoint-other-tree"] = {
        "format": "bundle", "blob": mf.dump(mf.bundle_document(cert, envelope, entry, [tsa.stamp(signature)]))}
    # The proof of the neighbouring leaf, presented for this entry.
    key, cert, payload, signature, envelope = signed()
    body = mf.dsse_v2_body(payload, signature, cert)
    index = v2.append(body)
    v2.append(b"neighbour entry")
    proof = v2.proof(index + 1)
    proof["logIndex"] = str(index)
    entry = mf.tlog_entry(v2, body, index, proof, "dsse")
    cases["v2-proof-for-another-leaf"] = {
        "format": "bundle", "blob": mf.dump(mf.bundle_document(cert, envelope, entry, [tsa.stamp(signature)]))}
    # Bodies about another payload, and about another certificate, each properly logged.
    key, cert = intermediate.leaf(now - 60, uri=WORKFLOW, issuer=GITHUB)
    payload, signature, _ = kf.envelope(key, IMAGE, "sha256:" + "cd" * 32)
    v2_case("v2-body-other-digest", body=mf.dsse_v2_body(payload, signature, cert))
    _, other_cert = intermediate.leaf(now - 60, uri=WORKFLOW, issuer=GITHUB)
    key, cert, payload, signature, envelope = signed()
    body = mf.dsse_v2_body(payload, signature, other_cert)
    index = v2.append(body)
    entry = mf.tlog_entry(v2, body, index, v2.proof(index), "dsse")
    cases["v2-body-other-certificate"] = {
        "format": "bundle", "blob": mf.dump(mf.bundle_document(cert, envelope, entry, [tsa.stamp(signature)]))}

    # Rekor v1: an inclusion proof with a checkpoint, with and without the SignedEntryTimestamp.
    for name, with_set, with_tsa in (("v1-proof-tsa", False, True), ("v1-proof-set", True, False),
                                     ("v1-proof-no-timestamp", False, False)):
        key, cert, payload, signature, envelope = signed()
        body_json = kf.dsse_body(payload, signature, cert, envelope)
        body = kf.canonical(body_json)
        index = v1.append(body)
        global_index = 900000 + index
        promise = v1.rekor.entry(body_json, now, global_index)["SignedEntryTimestamp"] if with_set else None
        entry = mf.tlog_entry(v1, body, global_index, v1.proof(index), "dsse", set_=promise, integrated_time=now)
        stamps = [tsa.stamp(signature)] if with_tsa else []
        cases[name] = {"format": "bundle", "blob": mf.dump(mf.bundle_document(cert, envelope, entry, stamps))}

    trusted = kf.trusted_root([[intermediate.cert, root.cert]], v1.rekor, start)
    trusted["tlogs"] = [v1.trusted_root_entry(when), v2.trusted_root_entry(when)]
    trusted["timestampAuthorities"] = [tsa.trusted_root_entry(when)]
    (out / "trusted_root.json").write_text(json.dumps(trusted, indent=1) + "\n")
    document = {"image": IMAGE, "digest": DIGEST, "workflow": WORKFLOW, "signedAt": now, "cases": cases}
    (out / "cases.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
