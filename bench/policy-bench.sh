#!/bin/sh
# In-process policy benchmark: decode + every check of one AdmissionReview, no HTTP, no audit.
# Builds the release binary, then runs the hidden `portcullis policy bench` subcommand.
#   bench/policy-bench.sh [REVIEW] [CLASS] [ITERATIONS]
set -eu
cd "$(dirname "$0")/.."
review=${1:-examples/admission-review-pod.json}
class=${2:-ephi}
iterations=${3:-50000}
swift build -c release --static-swift-stdlib --product portcullis >/dev/null  # as `make release` builds it
exec .build/release/portcullis policy bench --review "$review" --policy deploy/policy.yaml \
    --class "$class" --iterations "$iterations"
