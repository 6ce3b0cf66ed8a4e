#!/usr/bin/env bash
# Side-by-side benchmark: Portcullis against the Go peer webhook (../shared/peer) on this machine,
# same body, same client (h2load over TLS, HTTP/1.1 keep-alive), one server at a time.
#
#   bench/run.sh [server|audit|signatures] [SECONDS]
#
#   server  (default) concurrency 1, 16, 64, 256 (CONCURRENCY="16 64" for fewer), no audit log: throughput,
#           server CPU per request (from /proc/PID/stat), p50/p99, peak RSS.
#   audit   concurrency 16 and 64: Portcullis with and without its durable audit log, and the peer
#           with -audit -fsync (one fdatasync per line).
#   signatures  image signature verification against a loopback docker-registry (bench/signatures.sh).
#
# The peer gets bench/peer-config.json: the same registries, zones and GPU pools as the ephi class of
# deploy/policy.yaml, so both servers admit the sample review after the same checks.
#
# Prints a Markdown table (paste into docs/PERFORMANCE.md) and keeps raw h2load logs in bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-server}
seconds=${2:-10}
root=$PWD
out=$root/bench/out
mkdir -p "$out"
body=${body:-$root/examples/admission-review-pod.json}
policy=${policy:-deploy/policy.yaml}
certs=$root/certs-dev/out
peer_src=${PEER_SRC:-$root/../shared/peer}
# Another build to measure side by side with this one (e.g. the commit before a change).
binary=${PORTCULLIS_BIN:-.build/release/portcullis}

scripts/ensure-packages.sh nghttp2-client golang-go libssl-dev zlib1g-dev openssl curl python3 >/dev/null
swift build -c release --static-swift-stdlib >/dev/null  # as `make release` and the Containerfile build it
certs-dev/make-dev-certs.sh "$certs" >/dev/null
if [ "$mode" != signatures ] && [ ! -x .build/peerwebhook ]; then
    (cd "$peer_src" && GOFLAGS=-mod=mod go build -o "$root/.build/peerwebhook" .)
fi

pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT

wait_ready() { # url
    for _ in $(seq 100); do
        curl -s -o /dev/null --cacert "$certs/ca.pem" "$1" && return 0
        sleep 0.1
    done
    echo "server did not come up at $1" >&2
    exit 1
}

# Runs h2load against URL at concurrency C; prints "rps p50_ms p99_ms errors".
load() { # url c tag
    local log=$out/$3-c$2.log
    h2load --h1 -D "$seconds" --warm-up-time=1 -c "$2" -t 1 -d "$body" \
        -H 'Content-Type: application/json' -H 'User-Agent: kube-apiserver-admission' \
        --log-file="$log" "$1" >"$out/$3-c$2.txt" 2>&1 || true
    python3 - "$log" "$out/$3-c$2.txt" "$seconds" <<'PY'
import sys, re
lat = []; bad = 0
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) < 3: continue
    if parts[1] != "200": bad += 1
    lat.append(int(parts[2]))
lat.sort()
def pct(p): return lat[min(len(lat)-1, int(len(lat)*p))]/1000 if lat else float("nan")
text = open(sys.argv[2]).read()
m = re.search(r"finished in [^,]+, ([0-9.]+) req/s", text)
rps = float(m.group(1)) if m else len(lat)/float(sys.argv[3])
print(f"{rps:.0f} {pct(0.50):.3f} {pct(0.99):.3f} {bad}")
PY
}

peak_rss_mib() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

# utime + stime of the server in clock ticks, from /proc/PID/stat (fields after the command's closing paren).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# Server CPU per answered request, in µs, over one load run: the primary figure on a shared machine.
cpu_per_request() { # ticks-before ticks-after rps seconds
    awk -v b="$1" -v a="$2" -v r="$3" -v s="$4" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { n = r * s; if (n > 0) printf "%.0f", (a - b) / hz * 1e6 / n; else print "-" }'
}

# Loads URL at concurrency C against the server already started (pid), and prints "rps p50 p99 bad rss cpu".
measure() { # url c tag
    local before after r rps
    before=$(cpu_ticks "$pid")
    r=$(load "$1" "$2" "$3")
    after=$(cpu_ticks "$pid")
    read -r rps _ <<<"$r"
    echo "$r $(peak_rss_mib "$pid") $(cpu_per_request "$before" "$after" "$rps" "$seconds")"
}

start_portcullis() { # extra args...
    "$binary" serve --listen 127.0.0.1:18443 --cert "$certs/server.pem" \
        --key "$certs/server-key.pem" --policy "$policy" "$@" >"$out/portcullis.log" 2>&1 &
    pid=$!
    wait_ready https://127.0.0.1:18443/healthz
}

start_peer() { # extra args...
    .build/peerwebhook -addr 127.0.0.1:19443 -cert "$certs/server.pem" -key "$certs/server-key.pem" \
        -config bench/peer-config.json "$@" >"$out/peer.log" 2>&1 &
    pid=$!
    wait_ready https://127.0.0.1:19443/healthz || true
}

stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

row() { # name c "rps p50 p99 bad rss cpu"
    read -r rps p50 p99 bad rss cpu <<<"$3"
    printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n" "$1" "$2" "$rps" "$cpu" "$p50" "$p99" "$rss" "$bad"
}

if [ "$mode" != signatures ]; then
    echo "| server | c | req/s | CPU µs/req | p50 ms | p99 ms | peak RSS MiB | non-200 |"
    echo "|---|---|---|---|---|---|---|---|"
fi
case $mode in
server)
    for c in ${CONCURRENCY:-1 16 64 256}; do
        start_portcullis; r=$(measure https://127.0.0.1:18443/validate/ephi "$c" portcullis); stop
        row portcullis "$c" "$r"
        start_peer; r=$(measure https://127.0.0.1:19443/validate "$c" peer); stop
        row "go peer" "$c" "$r"
    done
    ;;
audit)
    tmp=$(mktemp -d "$out/audit.XXXX")
    "$binary" audit keygen --private-key "$tmp/key.pem" --public-key "$tmp/key.pub" >/dev/null
    for c in 16 64; do
        start_portcullis; r=$(measure https://127.0.0.1:18443/validate/ephi "$c" portcullis-noaudit); stop
        row "portcullis, no audit" "$c" "$r"
        rm -rf "$tmp/log"; mkdir -p "$tmp/log"
        start_portcullis --audit-dir "$tmp/log" --audit-key "$tmp/key.pem"
        r=$(measure https://127.0.0.1:18443/validate/ephi "$c" portcullis-audit); stop
        row "portcullis, durable audit" "$c" "$r"
        rm -f "$tmp/peer-audit.log"
        start_peer -audit "$tmp/peer-audit.log" -fsync
        r=$(measure https://127.0.0.1:19443/validate "$c" peer-audit); stop
        row "go peer, -audit -fsync" "$c" "$r"
    done
    ;;
signatures)
    # shellcheck source=bench/signatures.sh
    source bench/signatures.sh
    ;;
*) echo "usage: bench/run.sh [server|audit|signatures] [SECONDS]" >&2; exit 2 ;;
esac
