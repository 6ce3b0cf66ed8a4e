"""Rekor v2 entries, RFC 6962 inclusion proofs with signed checkpoints, and RFC 3161 timestamps, for sigstore
bundles as they are made since Rekor v2 (shares no code with Portcullis).

Rekor v2: an Ed25519 log whose entries are `hashedrekord`/`dsse` 0.0.2 bodies, proven by an inclusion proof
against a C2SP checkpoint (no SignedEntryTimestamp, no integrated time); the bundle names the log by its checkpoint
key ID, SHA-256(origin || 0x0A || 0x01 || key). Rekor v1 entries may carry the same proof, with a P-256 checkpoint
whose origin is `<host> - <tree id>`. Timestamps come from `openssl ts -reply` over the signature bytes.
"""
import base64
import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

import keyless_format as kf
import make_log_proofs as lp
import make_tsa_fixtures as tf


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Log:
    """One transparency log: its key, the name its checkpoints are signed under, and its entries so far."""

    def __init__(self, name: str, version: int, tree_id: str = ""):
        self.name = name
        self.version = version
        # A v1 log is the local Rekor stand-in, which also signs SignedEntryTimestamps.
        self.rekor = kf.Rekor() if version == 1 else None
        self.key = self.rekor.key if self.rekor else ed25519.Ed25519PrivateKey.generate()
        self.spki = lp.public_der(self.key)
        self.origin = name if version == 2 else f"{name} - {tree_id}"
        if version == 2:
            raw = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            self.log_id = hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()
        else:
            self.log_id = hashlib.sha256(self.spki).digest()
        self.leaves = [bytes([n]) * 40 for n in range(11)]

    def trusted_root_entry(self, start: str) -> dict:
        details = "PKIX_ED25519" if self.version == 2 else "PKIX_ECDSA_P256_SHA_256"
        return {"baseUrl": f"https://{self.name}", "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": b64(self.spki), "keyDetails": details, "validFor": {"start": start}},
                "logId": {"keyId": b64(self.log_id)}}

    def append(self, body: bytes) -> int:
        self.leaves.append(body)
        return len(self.leaves) - 1

    def proof(self, index: int, size: int = 0, signer=None, origin=None, name=None) -> dict:
        """The bundle's `inclusionProof` for leaf `index` in the tree of the first `size` leaves (all by default),
        with a checkpoint signed by `signer` (the log key) under `origin`."""
        leaves = self.leaves[:size or len(self.leaves)]
        root = lp.mth(leaves)
        note = lp.checkpoint(signer or self.key, origin or self.origin, len(leaves), root)
        if name and name != (origin or self.origin):
            # A v1 checkpoint: the signature line names the host, not the whole origin.
            note = note.replace(f"\u2014 {origin or self.origin} ", f"\u2014 {name} ")
        elif self.version == 1 and not name:
            note = note.replace(f"\u2014 {self.origin} ", f"\u2014 {self.name} ")
        return {"logIndex": str(index), "rootHash": b64(root), "treeSize": str(len(leaves)),
                "hashes": [b64(h) for h in lp.path(index, leaves)], "checkpoint": {"envelope": note}}


def dsse_v2_body(payload: bytes, signature: bytes, cert) -> bytes:
    """The canonical (RFC 8785) `dsse` 0.0.2 body Rekor v2 logs for an envelope signed with `cert`."""
    der = cert.public_bytes(serialization.Encoding.DER)
    body = {"apiVersion": "0.0.2", "kind": "dsse",
            "spec": {"dsseV002": {"payloadHash": {"algorithm": "SHA2_256", "digest": b64(hashlib.sha256(payload).digest())},
                                  "signatures": [{"content": b64(signature),
                                                  "verifier": {"keyDetails": "PKIX_ECDSA_P256_SHA_256",
                                                               "x509Certificate": {"rawBytes": b64(der)}}}]}}}
    return kf.canonical(body)


class TSA:
    """A time-stamping authority: a root and a TSA certificate with the time-stamping EKU, signing with
    `openssl ts -reply` (which stamps the current time)."""

    def __init__(self, label: str, not_before, not_after):
        import datetime
        year = datetime.timedelta(days=365)
        self.root_key = ec.generate_private_key(ec.SECP384R1())
        self.root = tf.certificate(f"{label} TSA root", self.root_key, f"{label} TSA root", self.root_key, True,
                                   not_before - year, not_after + year)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = tf.certificate(f"{label} TSA", self.key, f"{label} TSA root", self.root_key, False, not_before,
                                   not_after)

    def trusted_root_entry(self, start: str) -> dict:
        return {"subject": {"organization": "Portcullis test", "commonName": "trusted TSA"},
                "uri": "https://timestamp.portcullis.test/api/v1/timestamp",
                "certChain": {"certificates": [{"rawBytes": kf.der_b64(self.cert)}, {"rawBytes": kf.der_b64(self.root)}]},
                "validFor": {"start": start}}

    def stamp(self, data: bytes) -> bytes:
        """A DER TimeStampResp over SHA-256(data)."""
        with tempfile.TemporaryDirectory() as work:
            work = Path(work)
            (work / "data").write_bytes(data)
            (work / "key.pem").write_bytes(self.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            (work / "cert.pem").write_bytes(tf.pem(self.cert))
            (work / "chain.pem").write_bytes(tf.pem(self.cert) + tf.pem(self.root))
            (work / "tsa.cnf").write_text("[tsa_config]\nserial = serial\ndefault_policy = 1.3.6.1.4.1.57264.2\n"
                                          "digests = sha256\nsigner_digest = sha256\ness_cert_id_alg = sha256\n")
            (work / "serial").write_text("01\n")
            subprocess.run(["openssl", "ts", "-query", "-data", "data", "-sha256", "-cert", "-no_nonce", "-out",
                            "q.tsq"], check=True, cwd=work, capture_output=True)
            subprocess.run(["openssl", "ts", "-reply", "-config", "tsa.cnf", "-section", "tsa_config", "-queryfile",
                            "q.tsq", "-signer", "cert.pem", "-inkey", "key.pem", "-chain", "chain.pem", "-out",
                            "r.tsr"], check=True, cwd=work, capture_output=True)
            return (work / "r.tsr").read_bytes()


def tlog_entry(log: Log, body: bytes, index: int, proof: dict, kind: str, set_: str = None,
               integrated_time: int = 0) -> dict:
    entry = {"logIndex": str(index), "logId": {"keyId": b64(log.log_id)},
             "kindVersion": {"kind": kind, "version": "0.0.2" if log.version == 2 else "0.0.1"},
             "canonicalizedBody": b64(body), "inclusionProof": proof}
    if integrated_time:
        entry["integratedTime"] = str(integrated_time)
    if set_:
        entry["inclusionPromise"] = {"signedEntryTimestamp": set_}
    return entry


def bundle_document(cert, envelope: dict, entry: dict, timestamps) -> dict:
    material = {"certificate": {"rawBytes": kf.der_b64(cert)}, "tlogEntries": [entry]}
    if timestamps:
        material["timestampVerificationData"] = {"rfc3161Timestamps": [{"signedTimestamp": b64(t)} for t in timestamps]}
    return {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": material,
            "dsseEnvelope": envelope}


def dump(document: dict) -> str:
    return b64(json.dumps(document).encode())
