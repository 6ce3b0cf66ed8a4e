#!/usr/bin/env bash
# Starts Debian's docker-registry (distribution 2.8) on 127.0.0.1 with TLS from certs-dev, for the signature
# live tests. With a token realm it requires Bearer tokens signed by the certs-dev client key (see token_service.py).
#
# Usage: [OWNER_PID=pid] Tests/Support/registry/start-registry.sh WORKDIR PORT [TOKEN_REALM]
# With OWNER_PID the registry is stopped as soon as that process (the test run) is gone.
# Output: WORKDIR/{config.yml,registry.log,registry.pid,certs/}; exits once the registry answers /v2/.
set -euo pipefail

work="$1"; port="$2"; realm="${3:-}"
root="$(cd "$(dirname "$0")/../../.." && pwd)"
mkdir -p "$work/data"
"$root/certs-dev/make-dev-certs.sh" "$work/certs" >/dev/null

{
    echo "version: 0.1"
    echo "log: {level: info, formatter: text}"
    echo "storage: {filesystem: {rootdirectory: $work/data}, delete: {enabled: true}}"
    echo "http: {addr: 127.0.0.1:$port, tls: {certificate: $work/certs/server.pem, key: $work/certs/server-key.pem}}"
    if [[ -n "$realm" ]]; then
        echo "auth: {token: {realm: \"$realm\", service: portcullis-test, issuer: portcullis-test-issuer, rootcertbundle: $work/certs/ca.pem}}"
    fi
} >"$work/config.yml"

# Descriptors above 2 are closed first: a caller watching for our exit through an inherited descriptor would
# otherwise wait for the registry too.
(
    for fd in /proc/self/fd/*; do n="${fd##*/}"; if [[ "$n" -gt 2 ]]; then eval "exec $n>&-" 2>/dev/null || true; fi; done
    exec docker-registry serve "$work/config.yml"
) >"$work/registry.log" 2>&1 &
registry=$!
echo "$registry" >"$work/registry.pid"
# A watchdog stops the registry (SIGKILL: it ignores SIGTERM while connections are open) when OWNER_PID is gone,
# and in any case after 15 minutes, so a crashed test run leaves nothing behind.
(
    for fd in /proc/self/fd/*; do n="${fd##*/}"; if [[ "$n" -gt 2 ]]; then eval "exec $n>&-" 2>/dev/null || true; fi; done
    for _ in $(seq 1 900); do
        if [[ -n "${OWNER_PID:-}" ]] && ! kill -0 "$OWNER_PID" 2>/dev/null; then break; fi
        kill -0 "$registry" 2>/dev/null || exit 0
        sleep 1
    done
    kill -KILL "$registry" 2>/dev/null || true
) >/dev/null 2>&1 &

for _ in $(seq 1 100); do
    code="$(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/certs/ca.pem" "https://127.0.0.1:$port/v2/" || true)"
    if [[ "$code" == 200 || "$code" == 401 ]]; then exit 0; fi
    sleep 0.1
done
echo "docker-registry did not start on 127.0.0.1:$port; see $work/registry.log" >&2
exit 1
