"""Writes cosign-format signatures independently of Portcullis (shares no code with the Swift verifier).

Follows the formats `cosign sign --key` produces: the simple-signing payload of the legacy `.sig` tag, and the
sigstore bundle v0.3 whose DSSE envelope carries an in-toto statement about the image digest.
"""
import base64
import hashlib
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

SIMPLE_SIGNING_TYPE = "cosign container image signature"
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
IN_TOTO = "application/vnd.in-toto+json"


def new_key(kind: str):
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "p521":
        return ec.generate_private_key(ec.SECP521R1())
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(kind)


def public_pem(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def private_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_private(pem: bytes):
    return serialization.load_pem_private_key(pem, password=None)


HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def sign(key, message: bytes, digest: str = "sha256", rsa_padding: str = "pkcs1") -> bytes:
    """A signature as cosign makes it with this key: SHA-256 whatever the ECDSA curve (cosign's key loader pairs
    every key with SHA-256), RSA PKCS#1 v1.5 with SHA-256, Ed25519 over the message itself. `digest` and
    `rsa_padding` make the other variants the sigstore algorithm registry names (P-384 with SHA-384, RSA-PSS) and
    the ones a verifier must refuse (SHA-1)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(HASHES[digest]()))
    if isinstance(key, rsa.RSAPrivateKey):
        chosen = HASHES[digest]()
        if rsa_padding == "pss":
            return key.sign(message, padding.PSS(mgf=padding.MGF1(chosen), salt_length=chosen.digest_size), chosen)
        return key.sign(message, padding.PKCS1v15(), chosen)
    return key.sign(message)


def simple_signing_payload(reference: str, digest: str, annotations=None, kind=SIMPLE_SIGNING_TYPE) -> bytes:
    """Compact JSON, as cosign serialises it."""
    body = {"critical": {"identity": {"docker-reference": reference},
                         "image": {"docker-manifest-digest": digest}, "type": kind},
            "optional": annotations}
    return json.dumps(body, separators=(",", ":")).encode()


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def pae(payload_type: str, payload: bytes) -> bytes:
    return b"DSSEv1 %d %s %d %s" % (len(payload_type.encode()), payload_type.encode(), len(payload), payload)


def bundle(key, subject_name: str, digest: str, annotations=None, predicate_type=SIGN_PREDICATE,
           hash_name: str = "sha256", predicate=None) -> bytes:
    subject = {"name": subject_name, "digest": {"sha256": digest.split(":", 1)[1]}}
    if annotations:
        subject["annotations"] = annotations
    statement = {"_type": "https://in-toto.io/Statement/v1", "subject": [subject],
                 "predicateType": predicate_type, "predicate": predicate or {}}
    payload = json.dumps(statement, separators=(",", ":")).encode()
    signature = sign(key, pae(IN_TOTO, payload), hash_name)
    public_der = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    hint = base64.b64encode(hashlib.sha256(public_der).digest()).decode()
    document = {"mediaType": BUNDLE_MEDIA_TYPE,
                "verificationMaterial": {"publicKey": {"hint": hint}, "tlogEntries": []},
                "dsseEnvelope": {"payload": base64.b64encode(payload).decode(), "payloadType": IN_TOTO,
                                 "signatures": [{"sig": base64.b64encode(signature).decode(), "keyid": ""}]}}
    return json.dumps(document, separators=(",", ":")).encode()
