#!/usr/bin/env python3
"""Regenerates Tests/SignaturesTests/Fixtures/rekor2/proofs.json: RFC 6962 inclusion proofs and C2SP checkpoints.

Usage: make_log_proofs.py OUTDIR. Independent of the Swift verifier: the tree hash and audit path follow the
recursive definitions of RFC 6962 section 2.1 (MTH and PATH), where the verifier walks the path iteratively as
RFC 9162 section 2.1.3.2 describes. Checkpoints are C2SP signed notes, as Rekor v2 serves them: Ed25519 with the
signed-note key ID SHA-256(name || 0x0A || 0x01 || key)[:4], and ECDSA P-256 (Rekor v1 checkpoints) with the key
hint SHA-256(DER SubjectPublicKeyInfo)[:4]. Private keys are discarded.
"""
import base64
import hashlib
import json
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

ORIGIN = "log2026-test.rekor.local"


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves) -> bytes:
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = split(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves) -> list:
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def public_der(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def checkpoint(key, origin: str, size: int, root: bytes) -> str:
    body = f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        key_id = hashlib.sha256(origin.encode() + b"\n\x01" + raw).digest()[:4]
        signature = key.sign(body.encode())
    else:
        key_id = hashlib.sha256(public_der(key)).digest()[:4]
        signature = key.sign(body.encode(), ec.ECDSA(hashes.SHA256()))
    return body + "\n" + f"\u2014 {origin} {base64.b64encode(key_id + signature).decode()}\n"


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    keys = {"ed25519": ed25519.Ed25519PrivateKey.generate(), "p256": ec.generate_private_key(ec.SECP256R1())}
    stranger = ed25519.Ed25519PrivateKey.generate()
    for name, key in keys.items():
        (out / f"log-{name}.pub").write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    cases = {}
    # Sizes and indexes that exercise every shape: first, last, a lone right edge, a perfect tree, a single leaf.
    for size, index in ((1, 0), (7, 0), (7, 6), (8, 5), (13, 12), (13, 9), (1000, 999), (1000, 3)):
        leaves = [os.urandom(48) for _ in range(size)]
        root = mth(leaves)
        for kind, key in keys.items():
            cases[f"{kind}-{size}-{index}"] = {
                "key": kind, "leaf": base64.b64encode(leaves[index]).decode(), "logIndex": index, "treeSize": size,
                "rootHash": base64.b64encode(root).decode(),
                "hashes": [base64.b64encode(h).decode() for h in path(index, leaves)],
                "checkpoint": checkpoint(key, ORIGIN, size, root)}
    # The same proof with a checkpoint by a key the trusted root does not list.
    stranger_case = dict(cases["ed25519-13-9"])
    leaves_root = base64.b64decode(stranger_case["rootHash"])
    stranger_case["checkpoint"] = checkpoint(stranger, ORIGIN, 13, leaves_root)
    cases["stranger-13-9"] = stranger_case
    document = {"origin": ORIGIN, "cases": cases}
    (out / "proofs.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
