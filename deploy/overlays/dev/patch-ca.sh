#!/bin/sh
# Prepares the dev overlay from the dev certificates made by certs-dev/make-dev-certs.sh:
#   generated/ca-bundle-patch.yaml  the dev CA, base64, as every webhook's clientConfig.caBundle
#   generated/tls.crt, tls.key      the server certificate and key for the portcullis-tls Secret
#   generated/audit-key.pem         an Ed25519 audit signing key (made once, then kept)
#   generated/dockerconfig.json     empty registry credentials (made once, then kept)
# Usage: deploy/overlays/dev/patch-ca.sh [CERT_DIR]     (default: certs-dev/out)
# CERT_DIR holds what certs-dev/make-dev-certs.sh CERT_DIR writes: ca.pem, server.pem, server-key.pem.
set -eu

overlay=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$overlay/../../.." && pwd)
cert_dir=${1:-$repo/certs-dev/out}
webhooks=$overlay/../../base/validatingwebhookconfiguration.yaml
out=$overlay/generated

fail() { echo "patch-ca.sh: $*" >&2; exit 1; }

cert=$cert_dir/server.pem
key=$cert_dir/server-key.pem
for file in "$cert_dir/ca.pem" "$cert" "$key"; do
    [ -f "$file" ] || fail "no $file; run certs-dev/make-dev-certs.sh $cert_dir first"
done
openssl x509 -in "$cert_dir/ca.pem" -noout 2>/dev/null || fail "$cert_dir/ca.pem is not a PEM certificate"
# A certificate the API server rejects fails every admission in every fail-closed class: refuse it here.
service=portcullis.portcullis.svc
openssl x509 -in "$cert" -noout -checkhost "$service" 2>/dev/null | grep -q "does match" ||
    fail "$cert is not valid for $service, the name the API server calls"
[ "$(openssl x509 -in "$cert" -noout -pubkey)" = "$(openssl pkey -in "$key" -pubout 2>/dev/null)" ] ||
    fail "$key is not the private key of $cert"

# One caBundle per webhook: the generated configuration lists each webhook as "  - name: ...".
count=$(grep -c '^  - name: ' "$webhooks") || fail "no webhooks found in $webhooks"

mkdir -p "$out"
bundle=$(base64 < "$cert_dir/ca.pem" | tr -d '\n')
{
    echo "# Written by patch-ca.sh from $cert_dir/ca.pem; do not edit or commit."
    i=0
    while [ "$i" -lt "$count" ]; do
        printf -- '- op: add\n  path: /webhooks/%d/clientConfig/caBundle\n  value: %s\n' "$i" "$bundle"
        i=$((i + 1))
    done
} > "$out/ca-bundle-patch.yaml"

cp "$cert" "$out/tls.crt"
(umask 077 && cp "$key" "$out/tls.key")
if [ ! -f "$out/audit-key.pem" ]; then
    (umask 077 && openssl genpkey -algorithm ed25519 -out "$out/audit-key.pem")
fi
[ -f "$out/dockerconfig.json" ] || echo '{"auths":{}}' > "$out/dockerconfig.json"

echo "dev overlay ready: $count webhooks trust $cert_dir/ca.pem; apply with: kubectl apply -k $overlay"
