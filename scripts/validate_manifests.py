#!/usr/bin/env python3
"""Validate rendered Portcullis manifests: schemas first, then the properties we promise.

Usage: validate_manifests.py [-k VERSION]... NAME=RENDERED.yaml...

Every object is checked against the Kubernetes OpenAPI schemas of each given version with
kubernetes-validate (strict: unknown fields fail), cert-manager objects against the subset of
cert-manager.io/v1 their CRDs define (those schemas are not part of Kubernetes'). Then each
rendering is checked for what docs/OPERATIONS.md relies on: a hardened, highly available
workload, and webhooks that fail closed, exclude Portcullis' own namespace and kube-system,
and fit the API server's time budget. Prints PASS or FAIL per object; exits 1 on any FAIL.
"""
import argparse
import base64
import sys

import jsonschema
import kubernetes_validate
import yaml

# Longest timeoutSeconds we allow: the signature budget is sized to answer well inside it.
MAX_TIMEOUT_SECONDS = 10
EXCLUDED_NAMESPACES = {"portcullis", "kube-system"}

# cert-manager.io/v1, from the Certificate and Issuer CRDs: spec field names (unknown ones fail,
# as the API server's structural schema would prune or reject them) and the required ones.
_ISSUER_REF = {
    "type": "object", "required": ["name"], "additionalProperties": False,
    "properties": {"name": {"type": "string"}, "kind": {"type": "string"}, "group": {"type": "string"}},
}
_CERTIFICATE_SPEC = {
    "type": "object", "required": ["secretName", "issuerRef"], "additionalProperties": False,
    "properties": {
        "secretName": {"type": "string", "minLength": 1},
        "issuerRef": _ISSUER_REF,
        "commonName": {"type": "string"}, "duration": {"type": "string"}, "renewBefore": {"type": "string"},
        "renewBeforePercentage": {"type": "integer"}, "isCA": {"type": "boolean"},
        "dnsNames": {"type": "array", "items": {"type": "string"}},
        "ipAddresses": {"type": "array", "items": {"type": "string"}},
        "uris": {"type": "array", "items": {"type": "string"}},
        "emailAddresses": {"type": "array", "items": {"type": "string"}},
        "usages": {"type": "array", "items": {"enum": [
            "signing", "digital signature", "content commitment", "key encipherment", "key agreement",
            "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any",
            "server auth", "client auth", "code signing", "email protection", "s/mime", "ipsec end system",
            "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc"]}},
        "privateKey": {"type": "object", "additionalProperties": False, "properties": {
            "algorithm": {"enum": ["RSA", "ECDSA", "Ed25519"]}, "size": {"type": "integer"},
            "encoding": {"enum": ["PKCS1", "PKCS8"]}, "rotationPolicy": {"enum": ["Never", "Always"]}}},
        "subject": {"type": "object"}, "literalSubject": {"type": "string"}, "secretTemplate": {"type": "object"},
        "keystores": {"type": "object"}, "additionalOutputFormats": {"type": "array"},
        "encodeUsagesInRequest": {"type": "boolean"}, "nameConstraints": {"type": "object"},
        "otherNames": {"type": "array"}, "revisionHistoryLimit": {"type": "integer"},
        "signatureAlgorithm": {"type": "string"},
    },
}
_ISSUER_SPEC = {
    "type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
    "properties": {
        "selfSigned": {"type": "object"},
        "ca": {"type": "object", "required": ["secretName"], "properties": {"secretName": {"type": "string"}}},
        "acme": {"type": "object"}, "vault": {"type": "object"}, "venafi": {"type": "object"},
    },
}
_METADATA = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}}
CERT_MANAGER_SCHEMAS = {
    kind: {"type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
           "properties": {"metadata": _METADATA, "spec": spec}}
    for kind, spec in {"Certificate": _CERTIFICATE_SPEC, "Issuer": _ISSUER_SPEC, "ClusterIssuer": _ISSUER_SPEC}.items()
}


def schema_errors(obj, versions):
    if obj.get("apiVersion") == "cert-manager.io/v1":
        schema = CERT_MANAGER_SCHEMAS.get(obj.get("kind"))
        if schema is None:
            return [f"no schema for cert-manager kind {obj.get('kind')}"]
        return [f"cert-manager.io/v1: {e.message} at {'/'.join(map(str, e.absolute_path))}"
                for e in jsonschema.Draft7Validator(schema).iter_errors(obj)]
    errors = []
    for version in versions:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = "/".join(map(str, e.path))
            errors.append(f"Kubernetes {version}: {e.message} at {path or '(top)'}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"Kubernetes {version}: no schema for {obj.get('apiVersion')} {obj.get('kind')}")
    return errors


def workload_errors(obj):
    """The hardening and availability promises of the Portcullis workload."""
    errors = []
    spec = obj["spec"]
    pod = spec["template"]["spec"]
    if spec.get("replicas", 1) < 2:
        errors.append("fewer than 2 replicas: one restart would stop every admission under failurePolicy Fail")
    if not any(c.get("topologyKey") == "topology.kubernetes.io/zone" for c in pod.get("topologySpreadConstraints", [])):
        errors.append("no topology spread across zones")
    if pod.get("automountServiceAccountToken") is not False:
        errors.append("pod mounts a service account token; Portcullis needs no API access")
    pod_security = pod.get("securityContext", {})
    if pod_security.get("runAsNonRoot") is not True:
        errors.append("pod securityContext.runAsNonRoot is not true")
    if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        errors.append("pod seccompProfile is not RuntimeDefault")
    for container in pod["containers"]:
        name = container["name"]
        security = container.get("securityContext", {})
        if security.get("readOnlyRootFilesystem") is not True:
            errors.append(f"container {name}: root filesystem is writable")
        if security.get("allowPrivilegeEscalation") is not False:
            errors.append(f"container {name}: allowPrivilegeEscalation is not false")
        if security.get("capabilities", {}).get("drop") != ["ALL"]:
            errors.append(f"container {name}: capabilities are not dropped (drop: [ALL])")
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            get = container.get(probe, {}).get("httpGet", {})
            if get.get("path") != path or get.get("scheme") != "HTTPS":
                errors.append(f"container {name}: {probe} is not an HTTPS GET of {path}")
        resources = container.get("resources", {})
        for bound in ("requests", "limits"):
            if not {"cpu", "memory"} <= set(resources.get(bound, {})):
                errors.append(f"container {name}: no cpu and memory {bound}")
    return errors


def webhook_configuration_errors(obj, overlay, certificates):
    errors = []
    annotation = obj["metadata"].get("annotations", {}).get("cert-manager.io/inject-ca-from")
    if overlay == "cert-manager" and annotation not in certificates:
        errors.append(f"cert-manager.io/inject-ca-from {annotation!r} names no Certificate in this rendering")
    for hook in obj.get("webhooks", []):
        name = hook["name"]
        service = hook.get("clientConfig", {}).get("service", {})
        # /validate is the route for namespaces no label or map entry names: defaultClass, or denied.
        if not (service.get("path", "").startswith("/validate/") or service.get("path") == "/validate"):
            errors.append(f"webhook {name}: path {service.get('path')!r} is neither /validate/<class> nor /validate")
        if hook.get("failurePolicy") not in ("Fail", "Ignore"):
            errors.append(f"webhook {name}: failurePolicy {hook.get('failurePolicy')!r} is neither Fail nor Ignore")
        if hook.get("sideEffects") != "None" or hook.get("admissionReviewVersions") != ["v1"]:
            errors.append(f"webhook {name}: needs sideEffects None and admissionReviewVersions [v1]")
        if not 1 <= hook.get("timeoutSeconds", 10) <= MAX_TIMEOUT_SECONDS:
            errors.append(f"webhook {name}: timeoutSeconds above the {MAX_TIMEOUT_SECONDS} s verification budget")
        excluded = set()
        for expression in hook.get("namespaceSelector", {}).get("matchExpressions", []):
            if expression.get("key") == "kubernetes.io/metadata.name" and expression.get("operator") == "NotIn":
                excluded |= set(expression.get("values", []))
            # A webhook that selects namespaces by name excludes every name it does not list.
            if expression.get("key") == "kubernetes.io/metadata.name" and expression.get("operator") == "In":
                excluded |= EXCLUDED_NAMESPACES - set(expression.get("values", []))
        if not EXCLUDED_NAMESPACES <= excluded:
            errors.append(f"webhook {name}: does not exclude {sorted(EXCLUDED_NAMESPACES - excluded)}; "
                          "it could lock Portcullis or the control plane out")
        if overlay == "dev":
            try:
                bundle = base64.b64decode(hook["clientConfig"]["caBundle"], validate=True)
                if b"-----BEGIN CERTIFICATE-----" not in bundle:
                    errors.append(f"webhook {name}: caBundle is not a PEM certificate")
            except (KeyError, ValueError):
                errors.append(f"webhook {name}: no valid base64 caBundle (run deploy/overlays/dev/patch-ca.sh)")
    return errors


def rendering_errors(objects):
    """Objects a rendering must contain for the promises to hold at all."""
    kinds = {o.get("kind") for o in objects}
    required = {"Namespace", "ServiceAccount", "Service", "PodDisruptionBudget", "ConfigMap",
                "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
    errors = [f"missing {kind}" for kind in sorted(required - kinds)]
    if not kinds & {"Deployment", "StatefulSet"}:
        errors.append("missing the Portcullis workload")
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", "--kubernetes-version", action="append", dest="versions", required=True)
    parser.add_argument("renderings", nargs="+", metavar="NAME=FILE")
    args = parser.parse_args()
    failures = 0
    for rendering in args.renderings:
        overlay, _, path = rendering.partition("=")
        with open(path, encoding="utf-8") as f:
            objects = [o for o in yaml.safe_load_all(f) if o]
        certificates = {f"{o['metadata'].get('namespace')}/{o['metadata']['name']}"
                        for o in objects if o.get("kind") == "Certificate"}
        for obj in objects:
            label = f"{overlay}: {obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
            errors = schema_errors(obj, args.versions)
            if not errors and obj.get("kind") in ("Deployment", "StatefulSet"):
                errors = workload_errors(obj)
            elif not errors and obj.get("kind") == "ServiceAccount":
                if obj.get("automountServiceAccountToken") is not False:
                    errors = ["automountServiceAccountToken is not false"]
            elif not errors and obj.get("kind") == "ValidatingWebhookConfiguration":
                errors = webhook_configuration_errors(obj, overlay, certificates)
            print(f"{'FAIL' if errors else 'PASS'}  {label}")
            for error in errors:
                print(f"        {error}")
            failures += bool(errors)
        for error in rendering_errors(objects):
            print(f"FAIL  {overlay}: {error}")
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
