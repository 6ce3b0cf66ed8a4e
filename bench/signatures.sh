#!/usr/bin/env bash
# Signature verification cost: cold verification against a loopback docker-registry (TLS), a cached
# verification, and throughput at c=16 with signatures required and a warm cache, each next to the same
# pod in a class without signatures. Four sets of images: key-signed (`.sig` and bundles), key-signed with
# 20 scan attestations and an SBOM over 1 MiB among their referrers, keyless Rekor v2 + RFC 3161 bundles, and
# key-signed with provenance, two scans and an SBOM admitted by a class that requires all three (`required`).
#
#   bench/signatures.sh [SECONDS]      (the same as: bench/run.sh signatures [SECONDS])
#
# Images and cosign signatures come from the independent Python signer (Tests/Support/signer/push_scenarios.py).
# "registry ms" is the time docker-registry itself logged for the requests of that verification, so
# "cold − plain − registry" bounds what Portcullis spends around the round trips (CPU, TLS, loopback).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then exec "$(dirname "$0")/run.sh" signatures "$@"; fi

sig=$(mktemp -d "$out/signatures.XXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
host=127.0.0.1:$port
OWNER_PID=$$ Tests/Support/registry/start-registry.sh "$sig/registry" "$port"
for run in 1 2 3 4; do
    python3 Tests/Support/signer/push_scenarios.py "$host" "$sig/registry/certs/ca.pem" "$sig/out$run" >/dev/null
done
registry_pid=$(cat "$sig/registry/registry.pid")
stop_registry() { kill -KILL "$registry_pid" 2>/dev/null || true; cleanup; }
trap stop_registry EXIT

# The signed images of every run, in three sets: key-signed (`.sig` and bundles), key-signed with 20 scan
# attestations and an SBOM over 1 MiB among their referrers, and keyless Rekor v2 bundles (inclusion proof,
# checkpoint, RFC 3161 timestamp; no SET). A policy trusting every run's keys and trusted roots.
python3 - "$sig" "$host" <<'PY'
import json, sys, glob
sig, host = sys.argv[1], sys.argv[2]
sets = {"keys": [], "attested": [], "rekor2": [], "required": []}
keys, keyless = [], []
for run, out in enumerate(sorted(glob.glob(f"{sig}/out*"))):
    scenarios = json.load(open(f"{out}/scenarios.json"))
    sets["keys"] += [scenarios[n] for n in ("signed", "counted", "rotated", "two-signatures", "bundle", "annotated")]
    sets["attested"].append(scenarios["attested"])
    sets["rekor2"].append(scenarios["keyless-rekor2"])
    sets["required"].append(scenarios["att-good"])
    keys += [f"{out}/trusted.pub", f"{out}/rotated.pub"]
    keyless.append(f"""  ci{run}:
    keyless:
      trustedRoot: {out}/keyless_trusted_root.json
      issuer: https://token.actions.githubusercontent.com
      subjects: ['regex:https://github\\.com/corp/trainer/\\.github/workflows/release\\.yml@refs/heads/main']
    images: ["{host}/live/keyless-rekor2"]
""")
klist = ", ".join(keys)
cis = ", ".join(f"ci{run}" for run in range(len(keyless)))
open(f"{sig}/policy.yaml", "w").write(f"""apiVersion: portcullis.dev/v1
kind: Policy
authorities:
  release: {{keys: [{klist}], images: ["{host}/live/*"]}}
{"".join(keyless)}registries:
  "{host}": {{ca: registry/certs/ca.pem}}
classes:
  signed:
    registries: ["{host}/live"]
    requireSignatures: true
    signatures: {{authorities: [release], budget: 4s}}
  keyless:
    registries: ["{host}/live"]
    requireSignatures: true
    signatures: {{authorities: [{cis}], budget: 4s}}
  required:
    registries: ["{host}/live"]
    requireSignatures: true
    signatures:
      authorities: [release]
      budget: 4s
      attestations:
        - predicateType: https://slsa.dev/provenance/v1
          builderIDs: ['regex:https://github\\.com/corp/[^/]+/\\.github/workflows/release\\.yml@refs/heads/main']
          sourceRepositories: [https://github.com/corp/trainer]
          sourceRefs: [refs/heads/main]
        - {{predicateType: https://cosign.sigstore.dev/attestation/vuln/v1, maxSeverity: medium, maxAge: 168h}}
        - {{predicateType: sbom}}
  plain:
    registries: ["{host}/live"]
""")
def review(image):
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "bench", "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"}, "namespace": "bench", "name": "p",
        "operation": "CREATE", "userInfo": {"username": "bench"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "bench"},
                   "spec": {"containers": [{"name": "a", "image": image}]}}}})
for name, images in sets.items():
    open(f"{sig}/count-{name}", "w").write(str(len(images)))
    for i, image in enumerate(images):
        open(f"{sig}/review-{name}-{i}.json", "w").write(review(image))
PY

policy=$sig/policy.yaml
start_portcullis

# Server-side time of one admission: curl's time to first byte minus the time to send the request.
admit() { # class body
    curl -s -o "$sig/last.json" -w '%{time_pretransfer} %{time_starttransfer}\n' --cacert "$certs/ca.pem" \
        -H 'Content-Type: application/json' --data-binary "@$2" "https://127.0.0.1:18443/validate/$1?timeout=10s" |
        awk '{printf "%.3f", ($2 - $1) * 1000}'
    grep -q '"allowed":true' "$sig/last.json" || { echo "not allowed: $(cat "$sig/last.json")" >&2; exit 1; }
}
registry_ms() { # from-line: ms docker-registry logged after that line
    tail -n "+$(($1 + 1))" "$sig/registry/registry.log" | grep 'response completed' |
        sed -n 's/.*http.response.duration=\([0-9.]*\)\(m\?s\|µs\).*/\1 \2/p' |
        awk '{ v = $1; if ($2 == "s") v *= 1000; if ($2 == "µs") v /= 1000; t += v; n++ } END { printf "%.3f %d", t, n }'
}

# CPU milliseconds the server spends while a command runs (perf counts every thread, new ones too).
cpu_ms() { # command...
    perf stat -e task-clock -x, -o "$sig/perf.txt" -p "$pid" &
    local perf=$!
    sleep 0.3
    "$@"
    sleep 0.1
    kill -INT "$perf"; wait "$perf" || true
    awk -F, '/task-clock/ { printf "%.1f", $1 }' "$sig/perf.txt"
}
pass() { # class set file-with-times
    for i in $(seq 0 $(($(cat "$sig/count-$2") - 1))); do admit "$1" "$sig/review-$2-$i.json" >>"$3"; echo >>"$3"; done
}
scripts/ensure-packages.sh linux-perf >/dev/null 2>&1 || true
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }'; }
per() { awk "BEGIN { printf \"%.3f\", $1 / $2 }"; }
echo
echo "| images (one admission each per pass) | pass | median server ms | server CPU ms per admission | requests docker-registry logged per image |"
echo "|---|---|---|---|---|"
for set in keys attested rekor2 required; do
    count=$(cat "$sig/count-$set")
    class=signed; [ "$set" = rekor2 ] && class=keyless; [ "$set" = required ] && class=required
    plain_cpu=$(cpu_ms pass plain "$set" "$sig/plain-$set.ms")
    before=$(wc -l <"$sig/registry/registry.log")
    cold_cpu=$(cpu_ms pass "$class" "$set" "$sig/cold-$set.ms")
    sleep 0.5 # docker-registry writes its access log after answering
    read -r reg n <<<"$(registry_ms "$before")"
    cached_cpu=$(cpu_ms pass "$class" "$set" "$sig/cached-$set.ms")
    label="$count × $set"
    echo "| $label | plain class (no signatures) | $(median "$sig/plain-$set.ms") | $(per "$plain_cpu" "$count") | 0 |"
    echo "| $label | cold verification | $(median "$sig/cold-$set.ms") | $(per "$cold_cpu" "$count") | $(awk "BEGIN { printf \"%.1f\", $n / $count }") ($reg ms in all) |"
    echo "| $label | cached verification | $(median "$sig/cached-$set.ms") | $(per "$cached_cpu" "$count") | 0 |"
done
echo

# Warm cache: the same image at c=1 and c=16, with and without required signatures.
echo
echo "| class | c | req/s | CPU µs/req | p50 ms | p99 ms | peak RSS MiB | non-200 |"
echo "|---|---|---|---|---|---|---|---|"
body=$sig/review-keys-0.json
for c in 1 16; do
    r=$(measure https://127.0.0.1:18443/validate/plain "$c" sig-plain); row "plain (no signatures)" "$c" "$r"
    r=$(measure https://127.0.0.1:18443/validate/signed "$c" sig-cached); row "signatures, warm cache" "$c" "$r"
done
# The same with provenance, a scan and an SBOM required (the image carries them): judged at each admission.
body=$sig/review-required-0.json
for c in 1 16; do
    r=$(measure https://127.0.0.1:18443/validate/required "$c" att-cached); row "3 attestations required, warm cache" "$c" "$r"
done
stop
