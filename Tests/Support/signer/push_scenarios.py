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
import modern_format as mf
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


SBOM_PREDICATE = "https://spdx.dev/Document/v2.3"
VULN_PREDICATE = "https://cosign.sigstore.dev/attestation/vuln/v1"


def push_referrers(registry: Registry, repo: str, digest: str, subject_size: int, bundles,
                   index_annotations: bool = True) -> dict:
    """Several v0.3 bundle referrers in one referrers tag, each manifest annotated as cosign v3 annotates it
    (`dev.sigstore.bundle.content`, `dev.sigstore.bundle.predicateType`). With `index_annotations` the index
    descriptors repeat them, as a registry's referrers API does; without, they are dropped, as cosign's own
    fallback-tag write drops them (sigstore/cosign#4641). Returns {predicate type: [bundle blob digests]}."""
    registry.push_blob(repo, EMPTY)
    descriptors, blobs = [], {}
    for predicate_type, bundle, *unlabelled in bundles:
        registry.push_blob(repo, bundle)
        annotations = {"dev.sigstore.bundle.content": "dsse-envelope",
                       "dev.sigstore.bundle.predicateType": predicate_type}
        layer = registry.descriptor(cf.BUNDLE_MEDIA_TYPE, bundle)
        manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": cf.BUNDLE_MEDIA_TYPE,
                    "config": registry.descriptor("application/vnd.oci.empty.v1+json", EMPTY),
                    "layers": [layer], "annotations": annotations,
                    "subject": {"mediaType": OCI_MANIFEST, "digest": digest, "size": subject_size}}
        if unlabelled:
            # As older attesters push: no annotation anywhere, so only the bundle tells what it is.
            del manifest["annotations"]
            annotations = None
        body = json.dumps(manifest, separators=(",", ":")).encode()
        referrer = registry.push_manifest(repo, "sha256-" + "0" * 8 + os.urandom(4).hex(), manifest)
        entry = {"mediaType": OCI_MANIFEST, "digest": referrer, "size": len(body),
                 "artifactType": cf.BUNDLE_MEDIA_TYPE}
        if index_annotations and annotations:
            entry["annotations"] = annotations
        descriptors.append(entry)
        blobs.setdefault(predicate_type, []).append(layer["digest"])
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}
    registry.push_manifest(repo, digest.replace(":", "-"), index, OCI_INDEX)
    return blobs


def push_attested(registry: Registry, host: str, key, scenarios: dict) -> None:
    """Images signed with a bundle and carrying what a 2026 pipeline attaches: an SBOM over 1 MiB and 20 daily
    vulnerability scans. `attested` lists referrers with annotations, `attested-fallback` without; the
    `.sbom-blob` entries name the SBOM bundle's blob, which verifying the signature must never download."""
    for name, annotated in (("attested", True), ("attested-fallback", False)):
        repo = f"live/{name}"
        digest, size = push_image(registry, repo)
        scenarios[name] = f"{host}/{repo}@{digest}"
        reference = f"{host}/{repo}"
        sbom = {"spdxVersion": "SPDX-2.3", "name": "trainer", "packages": [
            {"name": f"package-{i}", "versionInfo": "1.0.%d" % i, "comment": os.urandom(24).hex()}
            for i in range(16000)]}
        bundles = [(VULN_PREDICATE, cf.bundle(key, reference, digest, predicate_type=VULN_PREDICATE,
                                              predicate={"scanner": {"uri": "pkg:generic/scanner", "result": {}},
                                                         "metadata": {"scanFinishedOn": f"2026-11-{day:02d}T00:00:00Z"}}))
                   for day in range(1, 21)]
        bundles.insert(7, (SBOM_PREDICATE, cf.bundle(key, reference, digest, predicate_type=SBOM_PREDICATE,
                                                     predicate=sbom)))
        bundles.append((cf.SIGN_PREDICATE, cf.bundle(key, reference, digest)))
        blobs = push_referrers(registry, repo, digest, size, bundles, index_annotations=annotated)
        assert len(bundles[7][1]) > 1 << 20
        scenarios[name + ".sbom-blob"] = blobs[SBOM_PREDICATE][0]
    # Unlabelled referrers: an SBOM bundle too large to read, beside a signature (`attested-unlabelled`) or alone
    # (`attestation-only`).
    for name, signed in (("attested-unlabelled", True), ("attestation-only", False)):
        repo = f"live/{name}"
        digest, size = push_image(registry, repo)
        scenarios[name] = f"{host}/{repo}@{digest}"
        reference = f"{host}/{repo}"
        sbom = {"spdxVersion": "SPDX-2.3", "packages": [{"name": os.urandom(32).hex()} for _ in range(20000)]}
        bundles = [(SBOM_PREDICATE, cf.bundle(key, reference, digest, predicate_type=SBOM_PREDICATE, predicate=sbom),
                    "unlabelled")]
        if signed:
            bundles.append((cf.SIGN_PREDICATE, cf.bundle(key, reference, digest), "unlabelled"))
        push_referrers(registry, repo, digest, size, bundles, index_annotations=False)


PROVENANCE_PREDICATE = "https://slsa.dev/provenance/v1"
TRAINER = "https://github.com/corp/trainer"


def provenance(repository: str = TRAINER, builder: str = WORKFLOW + "@refs/heads/main",
               github_style: bool = True) -> dict:
    """SLSA provenance v1 as GitHub's attest-build-provenance writes it (source in externalParameters.workflow), or
    as a generator that names the source only in resolvedDependencies."""
    external = {"workflow": {"ref": "refs/heads/main", "repository": repository,
                             "path": ".github/workflows/release.yml"}} if github_style else {}
    return {"buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1",
                                "externalParameters": external,
                                "resolvedDependencies": [{"uri": f"git+{repository}@refs/heads/main",
                                                          "digest": {"gitCommit": "a" * 40}}]},
            "runDetails": {"builder": {"id": builder}, "metadata": {"invocationId": "run-1"}}}


def scan(severities, finished: float) -> dict:
    """cosign's vuln predicate with a Trivy JSON result holding one finding per severity."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(finished))
    findings = [{"VulnerabilityID": f"CVE-2026-{n:04d}", "PkgName": "openssl", "Severity": severity}
                for n, severity in enumerate(severities)]
    return {"invocation": {"uri": "https://github.com/corp/trainer/actions/runs/1"},
            "scanner": {"uri": "pkg:github/aquasecurity/trivy@0.58.0", "version": "0.58.0",
                        "result": {"SchemaVersion": 2, "Results": [{"Target": "trainer", "Vulnerabilities": findings}]}},
            "metadata": {"scanStartedOn": stamp, "scanFinishedOn": stamp}}


def push_attestation_policy_images(registry: Registry, host: str, keys: dict, scenarios: dict) -> None:
    """Images signed by the trusted key with provenance, a scan and an SBOM, each `att-*` breaking one thing the
    class `attested` requires: builder, source repository, a critical finding, a stale scan, no SBOM, attestations
    by an untrusted key, statements about another digest."""
    now = time.time()
    cases = {"att-good": {}, "att-other-builder": {"builder": "https://github.com/mallory/ci/build.yml@refs/heads/main"},
             "att-other-repo": {"repository": "https://github.com/mallory/trainer"},
             "att-critical": {"severities": ["LOW", "CRITICAL"]}, "att-stale": {"finished": now - 30 * 86400},
             "att-no-sbom": {"sbom": False}, "att-untrusted-key": {"key": "untrusted"},
             "att-other-digest": {"digest": "sha256:" + "1" * 64}}
    for name, change in cases.items():
        repo = f"live/{name}"
        digest, size = push_image(registry, repo)
        scenarios[name] = f"{host}/{repo}@{digest}"
        reference = f"{host}/{repo}"
        key, subject = keys[change.get("key", "trusted")], change.get("digest", digest)
        statements = [
            (PROVENANCE_PREDICATE, provenance(change.get("repository", TRAINER),
                                              change.get("builder", WORKFLOW + "@refs/heads/main"),
                                              github_style="repository" not in change)),
            # An older clean scan beside the current one: the newest decides.
            (VULN_PREDICATE, scan([], now - 20 * 86400)),
            (VULN_PREDICATE, scan(change.get("severities", ["LOW", "MEDIUM"]), change.get("finished", now - 3600))),
        ]
        if change.get("sbom", True):
            statements.append((SBOM_PREDICATE, {"spdxVersion": "SPDX-2.3", "name": "trainer", "packages": []}))
        bundles = [(kind, cf.bundle(key, reference, subject, predicate_type=kind, predicate=predicate))
                   for kind, predicate in statements]
        bundles.append((cf.SIGN_PREDICATE, cf.bundle(keys["trusted"], reference, digest)))
        push_referrers(registry, repo, digest, size, bundles)


def push_keyless(registry: Registry, host: str, out: Path, scenarios: dict) -> None:
    """Keyless signatures from a local Fulcio/Rekor stand-in, made half an hour ago: the leaves have expired.

    Two are made by strangers: a log the trusted root does not list, and a CA outside it."""
    now = int(time.time())
    root = kf.CA("live root", now - 86400)
    intermediate = kf.CA("live intermediate", now - 86400, parent=root)
    rekor = kf.Rekor()
    # Rekor v2 and a TSA beside the v1 log, as the public trusted root lists them since 2025.
    rekor2 = mf.Log("log2026-live.rekor.local", 2)
    tsa = mf.TSA("live", kf.utc(now - 86400), kf.utc(now + 5 * 365 * 86400))
    trusted = kf.trusted_root([[intermediate.cert, root.cert]], rekor, now - 86400)
    when = kf.utc(now - 86400).strftime("%Y-%m-%dT%H:%M:%SZ")
    trusted["tlogs"].append(rekor2.trusted_root_entry(when))
    trusted["timestampAuthorities"] = [tsa.trusted_root_entry(when)]
    (out / "keyless_trusted_root.json").write_text(json.dumps(trusted))
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
    # Keyless attestations, as `cosign attest` makes them in the release workflow: provenance and an SBOM beside
    # the signature, all from one Fulcio certificate.
    repo = "live/keyless-attested"
    digest, size = push_image(registry, repo)
    scenarios["keyless-attested"] = f"{host}/{repo}@{digest}"
    key, cert = intermediate.leaf(now - 1800, uri=f"{WORKFLOW}@refs/heads/main", issuer=GITHUB,
                                  deprecated_issuer=GITHUB)
    statements = ((PROVENANCE_PREDICATE, provenance()), (SBOM_PREDICATE, {"spdxVersion": "SPDX-2.3"}),
                  (cf.SIGN_PREDICATE, None))
    bundles = []
    for n, (kind, predicate) in enumerate(statements):
        document = kf.bundle(key, cert, rekor, f"{host}/{repo}", digest, now - 1790, 20 + n, kind, predicate)
        bundles.append((kind, base64.b64decode(document["blob"])))
    push_referrers(registry, repo, digest, size, bundles)
    # Rekor v2 bundles: an inclusion proof and a checkpoint, no SET; the time from the TSA, or from nowhere.
    for name, stamped in (("keyless-rekor2", True), ("keyless-rekor2-no-timestamp", False)):
        repo = f"live/{name}"
        digest, size = push_image(registry, repo)
        scenarios[name] = f"{host}/{repo}@{digest}"
        key, cert = intermediate.leaf(now - 60, uri=f"{WORKFLOW}@refs/heads/main", issuer=GITHUB)
        payload, signature, envelope = kf.envelope(key, f"{host}/{repo}", digest)
        body = mf.dsse_v2_body(payload, signature, cert)
        index = rekor2.append(body)
        entry = mf.tlog_entry(rekor2, body, index, rekor2.proof(index), "dsse")
        document = mf.bundle_document(cert, envelope, entry, [tsa.stamp(signature)] if stamped else [])
        push_bundle(registry, repo, digest, size, json.dumps(document).encode())


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
        push_attested(registry, host, keys["trusted"], scenarios)
        push_attestation_policy_images(registry, host, keys, scenarios)
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
