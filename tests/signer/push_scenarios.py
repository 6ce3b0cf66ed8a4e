#!/usr/bin/env python3
"""Pushes the live-test images and cosign-format signatures to a registry and describes them in JSON.

Usage: push_scenarios.py HOST:PORT CA_FILE OUTDIR [TOKEN_URL USER PASSWORD]
Writes OUTDIR/trusted.pub, rotated.pub, untrusted.pub and OUTDIR/scenarios.json ({"name": "HOST:PORT/repo@digest"}).
Keyless scenarios (a local Fulcio/Rekor stand-in) also write OUTDIR/keyless_trusted_root.json.
Each scenario is one repository, so tests can count the registry requests for one of them.
"""
import base64
import json
import os
import sys
import time
from pathlib import Path

import cosign_format as cf
import keyless_format as kf
from oci_push import OCI_INDEX, OCI_MANIFEST, Registry

SIMPLE = "application/vnd.dev.cosign.simplesigning.v1+json"
EMPTY = b"{}"
WORKFLOW = "https://github.com/corp/trainer/.github/workflows/release.yml"
GITHUB = "https://token.actions.githubusercontent.com"
MODEL_ARTIFACT = "application/vnd.cncf.model.manifest.v1+json"


def push_image(registry: Registry, repo: str, tag: str = "v1") -> tuple:
    """Pushes a one-layer image; returns its manifest digest and size."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
                         "config": {"Labels": {"repo": repo}}}).encode()
    layer = os.urandom(64)
    registry.push_blob(repo, config)
    registry.push_blob(repo, layer)
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": registry.descriptor("application/vnd.oci.image.config.v1+json", config),
                "layers": [registry.descriptor("application/vnd.oci.image.layer.v1.tar", layer)]}
    size = len(json.dumps(manifest, separators=(",", ":")).encode())
    return registry.push_manifest(repo, tag, manifest), size


def push_model(registry: Registry, repo: str, tag: str = "v1") -> tuple:
    """Pushes model weights as an OCI artifact, as ModelPack and `oras push` make them: an artifactType, the empty
    config and one weights layer; returns its manifest digest and size."""
    weights = os.urandom(256)
    registry.push_blob(repo, EMPTY)
    registry.push_blob(repo, weights)
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": MODEL_ARTIFACT,
                "config": registry.descriptor("application/vnd.oci.empty.v1+json", EMPTY),
                "layers": [registry.descriptor("application/vnd.cncf.model.weight.v1.raw", weights,
                                               {"org.opencontainers.image.title": "model.safetensors"})]}
    size = len(json.dumps(manifest, separators=(",", ":")).encode())
    return registry.push_manifest(repo, tag, manifest), size


def push_sig(registry: Registry, repo: str, digest: str, payloads_and_signatures, extra_annotations=None) -> None:
    """The legacy `.sig` tag: one simple-signing layer per (payload, base64 signature); keyless layers also carry
    the dev.sigstore.cosign/* certificate and Rekor annotations."""
    registry.push_blob(repo, EMPTY)
    layers = []
    for payload, signature in payloads_and_signatures:
        registry.push_blob(repo, payload)
        layers.append(registry.descriptor(SIMPLE, payload, {"dev.cosignproject.cosign/signature": signature,
                                                            **(extra_annotations or {})}))
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": registry.descriptor("application/vnd.oci.image.config.v1+json", EMPTY), "layers": layers}
    registry.push_manifest(repo, digest.replace(":", "-") + ".sig", manifest)


def push_bundle(registry: Registry, repo: str, digest: str, subject_size: int, bundle: bytes) -> None:
    """A v0.3 bundle referrer, listed in the referrers tag (distribution 2.8 has no referrers API)."""
    registry.push_blob(repo, EMPTY)
    registry.push_blob(repo, bundle)
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": cf.BUNDLE_MEDIA_TYPE,
                "config": registry.descriptor("application/vnd.oci.empty.v1+json", EMPTY),
                "layers": [registry.descriptor(cf.BUNDLE_MEDIA_TYPE, bundle)],
                "subject": {"mediaType": OCI_MANIFEST, "digest": digest, "size": subject_size}}
    body = json.dumps(manifest, separators=(",", ":")).encode()
    referrer = registry.push_manifest(repo, "sha256-" + "0" * 8 + os.urandom(4).hex(), manifest)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
             "manifests": [{"mediaType": OCI_MANIFEST, "digest": referrer, "size": len(body),
                            "artifactType": cf.BUNDLE_MEDIA_TYPE}]}
    registry.push_manifest(repo, digest.replace(":", "-"), index, OCI_INDEX)


def push_keyless(registry: Registry, host: str, out: Path, scenarios: dict) -> None:
    """Keyless signatures from a local Fulcio/Rekor stand-in, made half an hour ago: the leaves have expired.

    Two are made by strangers: a log the trusted root does not list, and a CA outside it."""
    now = int(time.time())
    root = kf.CA("live root", now - 86400)
    intermediate = kf.CA("live intermediate", now - 86400, parent=root)
    rekor = kf.Rekor()
    (out / "keyless_trusted_root.json").write_text(
        json.dumps(kf.trusted_root([[intermediate.cert, root.cert]], rekor, now - 86400)))
    stranger, other_rekor = kf.CA("stranger root", now - 86400), kf.Rekor()
    cases = (("keyless", "main", intermediate, rekor), ("keyless-feature", "feature", intermediate, rekor),
             ("keyless-bundle", "main", intermediate, rekor), ("keyless-unknown-log", "main", intermediate, other_rekor),
             ("keyless-untrusted-root", "main", stranger, rekor))
    for name, branch, ca, log in cases:
        repo = f"live/{name}"
        digest, size = push_image(registry, repo)
        scenarios[name] = f"{host}/{repo}@{digest}"
        reference = f"{host}/{repo}"
        key, cert = ca.leaf(now - 1800, uri=f"{WORKFLOW}@refs/heads/{branch}", issuer=GITHUB,
                            deprecated_issuer=GITHUB)
        if name == "keyless-bundle":
            document = kf.bundle(key, cert, log, reference, digest, now - 1790, 7)
            push_bundle(registry, repo, digest, size, base64.b64decode(document["blob"]))
        else:
            layer = kf.legacy(key, cert, [ca.cert], log, cf.simple_signing_payload(reference, digest),
                              now - 1790, 7)
            push_sig(registry, repo, digest, [(base64.b64decode(layer["blob"]), layer["signature"])],
                     layer["annotations"])


def main() -> None:
    host, ca_file, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    token = sys.argv[4:7] if len(sys.argv) >= 7 else [None, None, None]
    registry = Registry(host, ca_file, *token)
    out.mkdir(parents=True, exist_ok=True)
    keys = {name: cf.new_key("p256") for name in ("trusted", "rotated", "untrusted")}
    for name, key in keys.items():
        (out / f"{name}.pub").write_bytes(cf.public_pem(key))

    def signed(payload: bytes, key="trusted"):
        return payload, base64.b64encode(cf.sign(keys[key], payload)).decode()

    scenarios = {}
    names = ["signed", "counted", "rotated", "wrong-key", "tampered", "other-digest", "wrong-reference", "unsigned",
             "annotated", "expired", "not-approved", "bundle", "two-signatures"]
    if token[0]:
        names = ["signed"]
    for name in names:
        repo = f"live/{name}"
        digest, size = push_image(registry, repo)
        scenarios[name] = f"{host}/{repo}@{digest}"
        reference = f"{host}/{repo}"
        good = cf.simple_signing_payload(reference, digest)
        if name in ("signed", "counted"):
            push_sig(registry, repo, digest, [signed(good)])
        elif name == "rotated":
            push_sig(registry, repo, digest, [signed(good, "rotated")])
        elif name == "wrong-key":
            push_sig(registry, repo, digest, [signed(good, "untrusted")])
        elif name == "tampered":
            payload, signature = signed(good)
            push_sig(registry, repo, digest, [(payload.replace(b"cosign container", b"cosign  container"), signature)])
        elif name == "other-digest":
            push_sig(registry, repo, digest, [signed(cf.simple_signing_payload(reference, "sha256:" + "1" * 64))])
        elif name == "wrong-reference":
            push_sig(registry, repo, digest, [signed(cf.simple_signing_payload(f"{host}/live/other", digest))])
        elif name == "annotated":
            push_sig(registry, repo, digest, [signed(cf.simple_signing_payload(
                reference, digest, {"approved-for": "ephi", "expires": "2030-01-01T00:00:00Z"}))])
        elif name == "expired":
            push_sig(registry, repo, digest, [signed(cf.simple_signing_payload(
                reference, digest, {"approved-for": "ephi", "expires": "2020-01-01T00:00:00Z"}))])
        elif name == "not-approved":
            push_sig(registry, repo, digest, [signed(cf.simple_signing_payload(
                reference, digest, {"approved-for": "staging,ephi-test", "expires": "2030-01-01T00:00:00Z"}))])
        elif name == "bundle":
            push_bundle(registry, repo, digest, size, cf.bundle(keys["trusted"], reference, digest))
        elif name == "two-signatures":
            push_sig(registry, repo, digest, [signed(good, "untrusted"), signed(good, "rotated")])
    if not token[0]:
        push_keyless(registry, host, out, scenarios)
        for name in ("model-signed", "model-unsigned"):
            repo = f"live/{name}"
            digest, _ = push_model(registry, repo)
            scenarios[name] = f"{host}/{repo}@{digest}"
            if name == "model-signed":
                push_sig(registry, repo, digest, [signed(cf.simple_signing_payload(
                    f"{host}/{repo}", digest, {"approved-for": "ephi", "expires": "2030-01-01T00:00:00Z"}))])
    (out / "scenarios.json").write_text(json.dumps(scenarios, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
