#!/usr/bin/env bash
# Side-by-side benchmark: Portcullis against the Go peer webhook (../shared/peer) on this machine,
# same body, same client (h2load over TLS, HTTP/1.1 keep-alive), one server at a time.
#
#   bench/run.sh [server|audit|idle|starvation|instructions|handshakes|signatures] [SECONDS]
#
#   server  (default) concurrency 1, 16, 64, 256 (CONCURRENCY="16 64" for fewer), no audit log: throughput,
#           server CPU per request (from /proc/PID/stat), p50/p99, peak RSS.
#   audit   concurrency 16 and 64: Portcullis with and without its durable audit log, and the peer
#           with -audit -fsync (one fdatasync per line); then per group commit of the durable runs: decisions per
#           batch (from the log's checkpoints) and the CPU of the writer thread.
#   signatures  image signature verification against a loopback docker-registry (bench/signatures.sh).
#   idle    RSS and threads of each server holding 1,000 idle keep-alive TLS connections (IDLE="1000 10000"
#           for more), and whether a new client is still served while they are held.
#   starvation  a new client's success rate (100 new connections, one request each) while 5,000 idle TCP and
#           1,000 silent TLS connections, each reopened when dropped, are held (bench/hold-connections.py).
#   instructions  callgrind's user-space instructions per keep-alive request: (I(N2) - I(N1)) / (N2 - N1) over
#           one connection, so start-up, handshake and drain cancel out; BASELINE_BIN measures another build too.
#   handshakes  callgrind's user-space instructions per full TLS handshake, Portcullis and the peer: N1=20 and N2=120
#           new connections (curl, no session reuse, one GET /healthz each), (I(N2) - I(N1)) / (N2 - N1).
#
# PORT and PEER_PORT (default 18443 and 19443) move the two servers when those ports are taken.
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
# The idle and starvation modes hold thousands of connections on each side.
ulimit -n "$(ulimit -Hn)"
out=$root/bench/out
mkdir -p "$out"
body=${body:-$root/examples/admission-review-pod.json}
policy=${policy:-deploy/policy.yaml}
certs=$root/certs-dev/out
peer_src=${PEER_SRC:-$root/../shared/peer}
# Another build to measure side by side with this one (e.g. the commit before a change).
binary=${PORTCULLIS_BIN:-.build/release/portcullis}
port=${PORT:-18443}
peer_port=${PEER_PORT:-19443}

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

# utime + stime, in clock ticks, of pid's threads named NAME (the audit writer names itself audit-writer).
thread_ticks() { # pid name
    local total=0 task
    for task in /proc/"$1"/task/*; do
        [ "$(cat "$task/comm" 2>/dev/null)" = "$2" ] || continue
        total=$((total + $(sed 's/^.*) //' "$task/stat" | awk '{print $12 + $13}')))
    done
    echo "$total"
}

# Decisions per checkpoint (each group commit ends with one) in the log directory, and the checkpoint count.
batch_figures() { # log-directory
    python3 - "$1" <<'PY'
import glob, gzip, sys
decisions = checkpoints = 0
for path in glob.glob(sys.argv[1] + "/*.jsonl*"):
    for line in (gzip.open if path.endswith(".gz") else open)(path, "rb"):
        decisions += b'"type":"decision"' in line
        checkpoints += b'"type":"checkpoint"' in line
print(f"{decisions / max(checkpoints, 1):.1f} {checkpoints}")
PY
}

# valgrind cannot read the static release binary's debug info, so a stripped copy is measured; prints its path.
stripped_copy() { # binary
    local copy
    copy=$(mktemp)
    strip --strip-debug -o "$copy" "$1"
    echo "$copy"
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
    "$binary" serve --listen "127.0.0.1:$port" --cert "$certs/server.pem" \
        --key "$certs/server-key.pem" --policy "$policy" "$@" >"$out/portcullis.log" 2>&1 &
    pid=$!
    wait_ready "https://127.0.0.1:$port/healthz"
}

start_peer() { # extra args...
    .build/peerwebhook -addr "127.0.0.1:$peer_port" -cert "$certs/server.pem" -key "$certs/server-key.pem" \
        -config bench/peer-config.json "$@" >"$out/peer.log" 2>&1 &
    pid=$!
    wait_ready "https://127.0.0.1:$peer_port/healthz" || true
}

stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

row() { # name c "rps p50 p99 bad rss cpu"
    read -r rps p50 p99 bad rss cpu <<<"$3"
    printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n" "$1" "$2" "$rps" "$cpu" "$p50" "$p99" "$rss" "$bad"
}

# Of 100 new connections (one request each) to PORT, how many were answered 200.
served_of_100() { # port
    local ok=0
    for _ in $(seq 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$certs/ca.pem" \
            "https://localhost:$1/healthz")" = 200 ] && ok=$((ok + 1))
    done
    echo "$ok"
}

served_after() { # seconds port: the attackers settle first
    sleep "$1"
    served_of_100 "$2"
}

# Holds connections (bench/hold-connections.py KIND=COUNT...) to PORT while CMD runs; prints CMD's output.
while_holding() { # port seconds specs... -- cmd...
    local target=$1 hold=$2 specs=() holder
    shift 2
    while [ "$1" != -- ]; do specs+=("$1"); shift; done
    shift
    python3 bench/hold-connections.py "$target" "$hold" "${specs[@]}" "--ca=$certs/ca.pem" >"$out/hold.log" 2>&1 &
    holder=$!
    for _ in $(seq 3000); do grep -q holding "$out/hold.log" && break; sleep 0.1; done
    "$@"
    kill "$holder" 2>/dev/null || true
    wait "$holder" 2>/dev/null || true
}

# RSS MiB and threads of pid, and of 100 new connections how many were served.
idle_figures() { # port
    sleep 2
    echo "$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status") $(awk '/Threads/ {print $2}' \
        "/proc/$pid/status") $(find "/proc/$pid/fd" -mindepth 1 | wc -l) $(served_of_100 "$1")"
}

# Starts a server command under callgrind (pid) and waits until URL answers; its count is read by callgrind_total.
under_callgrind() { # url command...
    local url=$1
    shift
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" >"$out/callgrind.log" 2>&1 &
    pid=$!
    for _ in $(seq 600); do
        curl -s -o /dev/null --cacert "$certs/ca.pem" "$url" && break
        sleep 0.2
    done
}

# Stops the server under callgrind and prints the instructions it executed in all.
callgrind_total() {
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
    awk '/Collected/ {print $4}' "$out/callgrind.log"
}

# Instructions callgrind counts in a server that answers N keep-alive requests on one connection and exits.
callgrind_instructions() { # binary requests
    under_callgrind "https://127.0.0.1:$port/healthz" "$1" serve --listen "127.0.0.1:$port" \
        --cert "$certs/server.pem" --key "$certs/server-key.pem" --policy "$policy" --shutdown-delay 0s
    h2load --h1 -n "$2" -c 1 -t 1 -d "$body" -H 'Content-Type: application/json' \
        "https://127.0.0.1:$port/validate/ephi" >"$out/callgrind-h2load.txt" 2>&1
    callgrind_total
}

# Instructions callgrind counts in a server (the command) that completes N full TLS handshakes, one GET /healthz on
# each new connection, and exits. curl keeps no TLS session between them (--no-sessionid) and speaks HTTP/1.1
# with Connection: close, so every request is a new connection and a full handshake, never a resumption.
handshake_instructions() { # url handshakes command...
    local url=$1 n=$2
    shift 2
    under_callgrind "$url" "$@"
    curl -s --http1.1 --no-sessionid -H 'Connection: close' --cacert "$certs/ca.pem" -w '%{http_code} %{num_connects}\n' \
        $(printf -- '-o /dev/null %.0s' $(seq "$n")) "$url?n=[1-$n]" >"$out/handshakes-curl.txt"
    [ "$(grep -c '^200 1$' "$out/handshakes-curl.txt")" = "$n" ] || echo "not every request was a new connection" >&2
    callgrind_total
}

case $mode in
server | audit)
    echo "| server | c | req/s | CPU µs/req | p50 ms | p99 ms | peak RSS MiB | non-200 |"
    echo "|---|---|---|---|---|---|---|---|"
    ;;
idle)
    echo "| server | idle keep-alive TLS connections | RSS MiB | threads | descriptors | new clients served of 100 |"
    echo "|---|---|---|---|---|---|"
    ;;
starvation)
    echo "| server | held (reopened when dropped) | new clients served of 100 | connections the holder opened |"
    echo "|---|---|---|---|"
    ;;
esac
case $mode in
server)
    for c in ${CONCURRENCY:-1 16 64 256}; do
        start_portcullis; r=$(measure "https://127.0.0.1:$port/validate/ephi" "$c" portcullis); stop
        row portcullis "$c" "$r"
        start_peer; r=$(measure "https://127.0.0.1:$peer_port/validate" "$c" peer); stop
        row "go peer" "$c" "$r"
    done
    ;;
audit)
    tmp=$(mktemp -d "$out/audit.XXXX")
    "$binary" audit keygen --private-key "$tmp/key.pem" --public-key "$tmp/key.pub" >/dev/null
    batches=""
    for c in 16 64; do
        start_portcullis; r=$(measure "https://127.0.0.1:$port/validate/ephi" "$c" portcullis-noaudit); stop
        row "portcullis, no audit" "$c" "$r"
        rm -rf "$tmp/log"; mkdir -p "$tmp/log"
        start_portcullis --audit-dir "$tmp/log" --audit-key "$tmp/key.pem"
        w0=$(thread_ticks "$pid" audit-writer)
        r=$(measure "https://127.0.0.1:$port/validate/ephi" "$c" portcullis-audit)
        w1=$(thread_ticks "$pid" audit-writer)
        stop
        row "portcullis, durable audit" "$c" "$r"
        read -r per_batch checkpoints <<<"$(batch_figures "$tmp/log")"
        batches+=$(awk -v c="$c" -v d="$per_batch" -v n="$checkpoints" -v w=$((w1 - w0)) -v hz="$(getconf CLK_TCK)" \
            'BEGIN { printf "| %s | %s | %s | %.0f |\n", c, d, n, w / hz * 1e6 / n }')$'\n'

        rm -f "$tmp/peer-audit.log"
        start_peer -audit "$tmp/peer-audit.log" -fsync
        r=$(measure "https://127.0.0.1:$peer_port/validate" "$c" peer-audit); stop
        row "go peer, -audit -fsync" "$c" "$r"
    done
    echo
    echo "| durable audit, c | decisions per checkpoint (batch) | checkpoints | writer thread CPU µs per batch (fdatasync included) |"
    echo "|---|---|---|---|"
    printf "%s" "$batches"
    ;;
idle)
    for n in ${IDLE:-1000}; do
        start_portcullis --max-connections $((n + 100))
        r=$(while_holding "$port" 600 "keepalive=$n" -- idle_figures "$port"); stop
        printf "| portcullis | %s | %s |\n" "$n" "$(echo "$r" | sed 's/ / | /g')"
        start_peer
        r=$(while_holding "$peer_port" 600 "keepalive=$n" -- idle_figures "$peer_port"); stop
        printf "| go peer | %s | %s |\n" "$n" "$(echo "$r" | sed 's/ / | /g')"
    done
    ;;
starvation)
    held="idle-tcp=${IDLE_TCP:-5000} silent-tls=${SILENT_TLS:-1000}"
    start_portcullis
    # shellcheck disable=SC2086 # $held is two words on purpose
    r=$(while_holding "$port" 120 $held -- served_after 5 "$port")
    stop
    printf "| portcullis | %s | %s | %s |\n" "$held" "$r" "$(tail -1 "$out/hold.log" | awk '{print $2}')"
    start_peer
    # shellcheck disable=SC2086
    r=$(while_holding "$peer_port" 120 $held -- served_after 5 "$peer_port")
    stop
    printf "| go peer | %s | %s | %s |\n" "$held" "$r" "$(tail -1 "$out/hold.log" | awk '{print $2}')"
    ;;
instructions)
    command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install -y valgrind)" >&2; exit 1; }
    low=${N1:-500}
    high=${N2:-2500}
    echo "| build | user-space instructions per keep-alive request |"
    echo "|---|---|"
    for build in "$binary" ${BASELINE_BIN:-}; do
        stripped=$(stripped_copy "$build")
        a=$(callgrind_instructions "$stripped" "$low")
        b=$(callgrind_instructions "$stripped" "$high")
        rm -f "$stripped"
        echo "| $build | $(( (${b//,/} - ${a//,/}) / (high - low) )) |"
    done
    ;;
handshakes)
    command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install -y valgrind)" >&2; exit 1; }
    low=${N1:-20}
    high=${N2:-120}
    echo "| server | user-space instructions per full TLS handshake (one GET /healthz each) |"
    echo "|---|---|"
    for build in "$binary" ${BASELINE_BIN:-}; do
        stripped=$(stripped_copy "$build")
        url="https://127.0.0.1:$port/healthz"
        serve=("$stripped" serve --listen "127.0.0.1:$port" --cert "$certs/server.pem" --key "$certs/server-key.pem"
            --policy "$policy" --shutdown-delay 0s)
        a=$(handshake_instructions "$url" "$low" "${serve[@]}")
        b=$(handshake_instructions "$url" "$high" "${serve[@]}")
        rm -f "$stripped"
        echo "| portcullis ($build) | $(( (${b//,/} - ${a//,/}) / (high - low) )) |"
    done
    # Go's asynchronous preemption signals trip callgrind; the scheduler then preempts at function calls only.
    url="https://127.0.0.1:$peer_port/healthz"
    peer=(.build/peerwebhook -addr "127.0.0.1:$peer_port" -cert "$certs/server.pem" -key "$certs/server-key.pem"
        -config bench/peer-config.json)
    a=$(GODEBUG=asyncpreemptoff=1 handshake_instructions "$url" "$low" "${peer[@]}")
    b=$(GODEBUG=asyncpreemptoff=1 handshake_instructions "$url" "$high" "${peer[@]}")
    echo "| go peer | $(( (${b//,/} - ${a//,/}) / (high - low) )) |"
    ;;
signatures)
    # shellcheck source=bench/signatures.sh
    source bench/signatures.sh
    ;;
*) echo "usage: bench/run.sh [server|audit|idle|starvation|instructions|handshakes|signatures] [SECONDS]" >&2; exit 2 ;;
esac
