"""A local stand-in for sigstore's Fulcio and Rekor, for keyless test material (shares no code with Portcullis).

Fulcio: a root and an intermediate CA issuing ten-minute leaf certificates with the code-signing EKU, an e-mail or
URI SAN and the OIDC issuer in extension 1.3.6.1.4.1.57264.1.8 (DER UTF8String) and/or the deprecated .1.1 (raw
text). Rekor: a P-256 key signing SignedEntryTimestamps over the RFC 8785 JSON of
{body, integratedTime, logID, logIndex}, with hashedrekord and dsse entry bodies.
"""
import base64
import datetime
import hashlib
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

import cosign_format as cf

ISSUER_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
DEPRECATED_ISSUER_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")


def utc(seconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


def canonical(value) -> bytes:
    """RFC 8785 for the ASCII names and integers Rekor signs: sorted members, no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def der_utf8string(text: str) -> bytes:
    data = text.encode()
    assert len(data) < 128
    return bytes([0x0C, len(data)]) + data


class CA:
    def __init__(self, name: str, start: int, parent=None):
        self.key = ec.generate_private_key(ec.SECP384R1())
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "portcullis.test"),
                             x509.NameAttribute(NameOID.COMMON_NAME, name)])
        issuer = parent.cert.subject if parent else subject
        signer = parent.key if parent else self.key
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                   .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(utc(start)).not_valid_after(utc(start + 10 * 365 * 86400))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None if parent is None else 0), True)
                   .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True))
        if parent:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
        self.cert = builder.sign(signer, hashes.SHA384())

    def leaf(self, start: int, email=None, uri=None, issuer=None, deprecated_issuer=None, code_signing=True):
        key = ec.generate_private_key(ec.SECP256R1())
        names = ([x509.RFC822Name(email)] if email else []) + ([x509.UniformResourceIdentifier(uri)] if uri else [])
        usage = ExtendedKeyUsageOID.CODE_SIGNING if code_signing else ExtendedKeyUsageOID.SERVER_AUTH
        builder = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(self.cert.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(utc(start)).not_valid_after(utc(start + 600))
                   .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), False)
                   .add_extension(x509.SubjectAlternativeName(names), True))
        if issuer:
            builder = builder.add_extension(x509.UnrecognizedExtension(ISSUER_OID, der_utf8string(issuer)), False)
        if deprecated_issuer:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(DEPRECATED_ISSUER_OID, deprecated_issuer.encode()), False)
        return key, builder.sign(self.key, hashes.SHA384())


def pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def der_b64(cert) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


class Rekor:
    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        spki = self.key.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
        self.log_id = hashlib.sha256(spki).hexdigest()
        self.spki = spki

    def entry(self, body: dict, integrated_time: int, log_index: int) -> dict:
        encoded = base64.b64encode(canonical(body)).decode()
        payload = {"body": encoded, "integratedTime": integrated_time, "logID": self.log_id, "logIndex": log_index}
        set_ = self.key.sign(canonical(payload), ec.ECDSA(hashes.SHA256()))
        return {"SignedEntryTimestamp": base64.b64encode(set_).decode(), "Payload": payload}


def hashedrekord(blob: bytes, signature: bytes, cert) -> dict:
    return {"apiVersion": "0.0.1", "kind": "hashedrekord",
            "spec": {"data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(blob).hexdigest()}},
                     "signature": {"content": base64.b64encode(signature).decode(),
                                   "publicKey": {"content": base64.b64encode(pem(cert)).decode()}}}}


def legacy(key, cert, chain, rekor: Rekor, payload: bytes, integrated_time: int, log_index: int) -> dict:
    """The `.sig` layer: payload, base64 signature and the dev.sigstore.cosign/* annotations."""
    signature = cf.sign(key, payload)
    entry = rekor.entry(hashedrekord(payload, signature, cert), integrated_time, log_index)
    annotations = {"dev.sigstore.cosign/certificate": pem(cert).decode(),
                   "dev.sigstore.cosign/bundle": json.dumps(entry, separators=(",", ":"))}
    if chain:
        annotations["dev.sigstore.cosign/chain"] = b"".join(pem(c) for c in chain).decode()
    return {"format": "simple", "blob": base64.b64encode(payload).decode(),
            "signature": base64.b64encode(signature).decode(), "annotations": annotations}


def envelope(key, image: str, digest: str, predicate_type: str = cf.SIGN_PREDICATE, predicate=None):
    """A DSSE envelope over an in-toto statement about `image@digest`: (payload, signature, envelope JSON)."""
    statement = {"_type": "https://in-toto.io/Statement/v1",
                 "subject": [{"name": image, "digest": {"sha256": digest.split(":", 1)[1]}}],
                 "predicateType": predicate_type, "predicate": predicate or {}}
    payload = json.dumps(statement, separators=(",", ":")).encode()
    signature = cf.sign(key, cf.pae(cf.IN_TOTO, payload))
    document = {"payload": base64.b64encode(payload).decode(), "payloadType": cf.IN_TOTO,
                "signatures": [{"sig": base64.b64encode(signature).decode()}]}
    return payload, signature, document


def dsse_body(payload: bytes, signature: bytes, cert, envelope_: dict) -> dict:
    """The Rekor v1 `dsse` 0.0.1 entry body for an envelope signed with `cert`."""
    return {"apiVersion": "0.0.1", "kind": "dsse",
            "spec": {"envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(canonical(envelope_)).hexdigest()},
                     "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
                     "signatures": [{"signature": base64.b64encode(signature).decode(),
                                     "verifier": base64.b64encode(pem(cert)).decode()}]}}


def bundle(key, cert, rekor: Rekor, image: str, digest: str, integrated_time: int, log_index: int,
           predicate_type: str = cf.SIGN_PREDICATE, predicate=None) -> dict:
    """A sigstore bundle v0.3: DSSE envelope (an image signature, or an attestation of `predicate_type`), leaf
    certificate, and a dsse tlog entry with its inclusion promise."""
    payload, signature, envelope_ = envelope(key, image, digest, predicate_type, predicate)
    entry = rekor.entry(dsse_body(payload, signature, cert, envelope_), integrated_time, log_index)
    document = {"mediaType": cf.BUNDLE_MEDIA_TYPE,
                "verificationMaterial": {
                    "certificate": {"rawBytes": der_b64(cert)},
                    "tlogEntries": [{"logIndex": str(log_index),
                                     "logId": {"keyId": base64.b64encode(bytes.fromhex(rekor.log_id)).decode()},
                                     "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                                     "integratedTime": str(integrated_time),
                                     "inclusionPromise": {"signedEntryTimestamp": entry["SignedEntryTimestamp"]},
                                     "canonicalizedBody": entry["Payload"]["body"]}]},
                "dsseEnvelope": envelope_}
    return {"format": "bundle", "blob": base64.b64encode(json.dumps(document).encode()).decode()}


def trusted_root(cas, rekor: Rekor, start: int) -> dict:
    """sigstore's trusted_root.json shape: each CA's chain from intermediate to root, the log key and ID."""
    when = utc(start).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [{"baseUrl": "https://rekor.portcullis.test", "hashAlgorithm": "SHA2_256",
                       "publicKey": {"rawBytes": base64.b64encode(rekor.spki).decode(),
                                     "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": {"start": when}},
                       "logId": {"keyId": base64.b64encode(bytes.fromhex(rekor.log_id)).decode()}}],
            "certificateAuthorities": [{"subject": {"organization": "portcullis.test", "commonName": "test root"},
                                        "uri": "https://fulcio.portcullis.test",
                                        "certChain": {"certificates": [{"rawBytes": der_b64(c)} for c in chain]},
                                        "validFor": {"start": when}} for chain in cas]}
