#!/bin/sh
# Instructions per policy-bench iteration, counted by callgrind: repeatable on a shared machine where
# times move by 2x. One iteration of `portcullis policy bench` runs decode + all checks, decode only and
# checks only once each (and a tenth of a warm-up review): about 2.1 reviews' work. The figure is
# (I(3000) - I(1000)) / 2000, so start-up and policy loading cancel out; compare builds by the ratio.
#   bench/policy-instructions.sh [BINARY] [POLICY] [REVIEW] [CLASS]
# valgrind cannot read the static release binary's debug info, so a stripped copy is measured.
set -eu
cd "$(dirname "$0")/.."
binary=${1:-.build/release/portcullis}
policy=${2:-deploy/policy.yaml}
review=${3:-examples/admission-review-pod.json}
class=${4:-ephi}
command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install -y valgrind)" >&2; exit 1; }
stripped=$(mktemp)
trap 'rm -f "$stripped"' EXIT
strip --strip-debug -o "$stripped" "$binary"
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$stripped" policy bench --review "$review" \
        --policy "$policy" --class "$class" --iterations "$1" 2>&1 | awk '/Collected/ {print $4}'
}
low=$(count 1000)
high=$(count 3000)
echo "$review in class $class: $(( (high - low) / 2000 )) instructions per bench iteration"
