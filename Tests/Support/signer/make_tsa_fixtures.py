#!/usr/bin/env python3
"""Regenerates Tests/SignaturesTests/Fixtures/tsa/: RFC 3161 timestamp responses made by `openssl ts -reply`.

Usage: make_tsa_fixtures.py OUTDIR. The certificates are made with Python `cryptography`; the tokens by Debian's
`openssl ts` (an implementation Portcullis does not share code with beyond linking the same library for
verification). Private keys live in a temporary directory and are discarded.

Tokens: `good` (over data.bin, by the trusted TSA), `other-data` (over other bytes), `stranger` (a TSA chaining to
a root nobody trusts), `not-yet-valid` (a TSA certificate whose validity starts in 2036, so at the token's time
the chain does not hold).
"""
import base64
import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)


def name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text), x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                                                                       "Portcullis test")])


def certificate(subject: str, key, issuer_name: str, issuer_key, ca: bool, not_before, not_after):
    builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer_name))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                        critical=True)
    else:
        builder = (builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
                   .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                                  critical=True))
    return builder.sign(issuer_key, hashes.SHA256())


def pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    year = datetime.timedelta(days=365)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        authorities = {}
        for label in ("trusted", "stranger"):
            root_key = ec.generate_private_key(ec.SECP384R1())
            root = certificate(f"{label} TSA root", root_key, f"{label} TSA root", root_key, True, NOW - year,
                               NOW + 10 * year)
            authorities[label] = (root_key, root)
            (out / f"{label}-root.pem").write_bytes(pem(root))
        signers = {}
        for label, authority, not_before in (("trusted", "trusted", NOW - year), ("stranger", "stranger", NOW - year),
                                             ("not-yet-valid", "trusted", NOW + 10 * year)):
            root_key, root = authorities[authority]
            key = ec.generate_private_key(ec.SECP256R1())
            cert = certificate(f"{label} TSA", key, f"{authority} TSA root", root_key, False, not_before,
                               not_before + 5 * year)
            (work / f"{label}.key").write_bytes(key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            (work / f"{label}.pem").write_bytes(pem(cert))
            (work / f"{label}-chain.pem").write_bytes(pem(cert) + pem(root))
            signers[label] = cert
        (work / "tsa.cnf").write_text("[tsa]\ndefault_tsa = tsa_config\n[tsa_config]\nserial = serial\n"
                                      "default_policy = 1.3.6.1.4.1.57264.2\ndigests = sha256\nsigner_digest = sha256\n"
                                      "ess_cert_id_alg = sha256\naccuracy = secs:1\n")
        (work / "serial").write_text("01\n")
        data = os.urandom(71)
        (out / "data.bin").write_bytes(data)
        (work / "other.bin").write_bytes(os.urandom(71))
        tokens = {}
        for token, signer, payload in (("good", "trusted", out / "data.bin"), ("other-data", "trusted", work / "other.bin"),
                                       ("stranger", "stranger", out / "data.bin"),
                                       ("not-yet-valid", "not-yet-valid", out / "data.bin")):
            query = work / f"{token}.tsq"
            subprocess.run(["openssl", "ts", "-query", "-data", str(payload), "-sha256", "-cert", "-no_nonce",
                            "-out", str(query)], check=True)
            reply = work / f"{token}.tsr"
            result = subprocess.run(["openssl", "ts", "-reply", "-config", str(work / "tsa.cnf"), "-section", "tsa_config",
                            "-queryfile", str(query), "-signer", str(work / f"{signer}.pem"), "-inkey",
                            str(work / f"{signer}.key"), "-chain", str(work / f"{signer}-chain.pem"), "-out",
                            str(reply)], check=False, cwd=work, capture_output=True)
            if not reply.exists():
                raise SystemExit(f"openssl ts -reply failed for {token}: {result.stderr.decode()}")
            tokens[token] = base64.b64encode(reply.read_bytes()).decode()
    document = {"made": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), "tokens": tokens}
    (out / "tokens.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
