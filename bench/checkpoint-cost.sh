#!/usr/bin/env bash
# What a signed checkpoint per group commit costs (docs/PERFORMANCE.md, "A checkpoint per group commit").
#
#   bench/checkpoint-cost.sh [SECONDS]
#
# Runs the release binary with and without --audit-dir (a real disk, every batch fdatasync'ed and closed by a
# checkpoint) under h2load at concurrency 16, same body and client as bench/run.sh, and prints for each:
# requests/s, server CPU per request (utime + stime from /proc/PID/stat over the run), and for the audit run
# the decisions per checkpoint (the group-commit batch size) read back from the log. The Ed25519 signing
# cost is measured separately with `openssl speed` against the same system OpenSSL the server links.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
root=$PWD
out=$root/bench/out
mkdir -p "$out"
body=$root/examples/admission-review-pod.json
certs=$root/certs-dev/out
log=${AUDIT_DIR:-$root/.build/bench-audit}

scripts/ensure-packages.sh nghttp2-client libssl-dev zlib1g-dev openssl curl python3 >/dev/null
swift build -c release --static-swift-stdlib >/dev/null
certs-dev/make-dev-certs.sh "$certs" >/dev/null
key=$out/audit-key.pem
[ -f "$key" ] || .build/release/portcullis audit keygen --private-key "$key" --public-key "$out/audit-key.pub" >/dev/null

pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() { # tag extra-args...
    local tag=$1
    shift
    .build/release/portcullis serve --listen 127.0.0.1:18443 --cert "$certs/server.pem" \
        --key "$certs/server-key.pem" --policy deploy/policy.yaml "$@" >"$out/$tag.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -s -o /dev/null --cacert "$certs/ca.pem" https://127.0.0.1:18443/healthz && break; sleep 0.1; done
    local before
    before=$(cpu_ticks "$pid")
    h2load --h1 -D "$seconds" -c 16 -t 1 -d "$body" -H 'Content-Type: application/json' \
        https://127.0.0.1:18443/validate/ephi >"$out/$tag-h2load.txt" 2>&1 || true
    local after
    after=$(cpu_ticks "$pid")
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
    python3 - "$out/$tag-h2load.txt" "$before" "$after" "$(getconf CLK_TCK)" "$tag" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
done = int(re.search(r"requests: \d+ total, \d+ started, (\d+) done", text).group(1))
rps = float(re.search(r"finished in [^,]+, ([0-9.]+) req/s", text).group(1))
cpu = (int(sys.argv[3]) - int(sys.argv[2])) / int(sys.argv[4])
print(f"| {sys.argv[5]} | {rps:.0f} | {cpu / done * 1e6:.0f} |", end="")
PY
}

echo "| server (c=16) | req/s | server CPU µs per request | decisions per checkpoint |"
echo "|---|---|---|---|"
run no-audit
echo " - |"
rm -rf "$log"
run durable-audit --audit-dir "$log" --audit-key "$key"
python3 - "$log" <<'PY'
import glob, sys
decisions = checkpoints = 0
for path in glob.glob(sys.argv[1] + "/*.jsonl"):
    for line in open(path, "rb"):
        decisions += b'"type":"decision"' in line
        checkpoints += b'"type":"checkpoint"' in line
print(f" {decisions / max(checkpoints, 1):.1f} ({checkpoints} checkpoints) |")
PY
echo
echo "Ed25519 signing, system OpenSSL (openssl speed):"
openssl speed -seconds 3 ed25519 2>/dev/null | awk '/Ed25519/ {printf "%.1f µs per signature (%s sign/s)\n", 1e6 / $(NF-1), $(NF-1)}'
