#!/bin/sh
# Builds each libFuzzer target with AddressSanitizer and fuzzes it for SECONDS (default 30) from its committed
# corpus (fuzz/corpus/<target>; new inputs found are kept in .fuzz/<target>/corpus, not committed).
# Usage: fuzz/run.sh [SECONDS] [TARGET…]
#   targets: http-parser admission-review image-reference http-client-response gzip-reader
# Each target is compiled with its module's own sources only: a parser that starts needing OpenSSL, sockets
# or the policy breaks its build, on purpose.
set -eu
seconds="${1:-30}"
[ $# -gt 0 ] && shift
root="$(cd "$(dirname "$0")/.." && pwd)"
targets="${*:-http-parser admission-review image-reference http-client-response gzip-reader}"
flags="-O -sanitize=fuzzer,address -parse-as-library"

build() { # name, then swiftc arguments
    name=$1
    shift
    out="$root/.fuzz/$name"
    mkdir -p "$out/corpus"
    cp "$root/fuzz/corpus/$name/"* "$out/corpus/" 2>/dev/null || true
    # shellcheck disable=SC2086 # flags is a list
    if ! swiftc $flags "$@" -o "$out/fuzz" 2>"$out/build.log"; then
        # ld.gold's "Cannot export local symbol" warnings are noise from the sanitizer runtime.
        grep -v "Cannot export local symbol" "$out/build.log" >&2
        exit 1
    fi
}

for target in $targets; do
    case $target in
    http-parser)
        build http-parser "$root/fuzz/HTTPParserFuzz.swift" \
            "$root/Sources/HTTPTransport/HTTPRequestParser.swift" "$root/Sources/HTTPTransport/HTTPMessage.swift"
        max_len=4096 ;;
    admission-review)
        # AdmissionAPI imports JSONText: build that module first, then the target with AdmissionAPI's sources.
        mkdir -p "$root/.fuzz/modules"
        # shellcheck disable=SC2086
        swiftc $flags -module-name JSONText -emit-module -emit-module-path "$root/.fuzz/modules/JSONText.swiftmodule" \
            -emit-object -o "$root/.fuzz/modules/JSONText.o" "$root"/Sources/JSONText/*.swift
        build admission-review -I "$root/.fuzz/modules" "$root/.fuzz/modules/JSONText.o" \
            "$root/fuzz/AdmissionReviewFuzz.swift" "$root"/Sources/AdmissionAPI/*.swift
        max_len=65536 ;;
    image-reference)
        build image-reference "$root/fuzz/ImageReferenceFuzz.swift" "$root/Sources/AdmissionAPI/ImageReference.swift"
        max_len=512 ;;
    http-client-response)
        build http-client-response "$root/fuzz/HTTPClientResponseFuzz.swift" \
            "$root/Sources/HTTPTransport/HTTPClientResponseParser.swift" \
            "$root/Sources/HTTPTransport/HTTPClientTypes.swift" "$root/Sources/HTTPTransport/HTTPMessage.swift" \
            "$root/Sources/HTTPTransport/HTTPRequestParser.swift"
        max_len=8192 ;;
    gzip-reader)
        build gzip-reader -I "$root/Sources/CZlib" "$root/fuzz/GzipReaderFuzz.swift" "$root"/Sources/Compression/*.swift
        max_len=65536 ;;
    *)
        echo "unknown fuzz target $target (http-parser, admission-review, image-reference, http-client-response," \
            "gzip-reader)" >&2
        exit 2 ;;
    esac
    echo "fuzzing $target for ${seconds}s"
    # `timeout`: a crash report that hangs (the sanitizer's symbolizer) must not hang `make test`.
    (cd "$root/.fuzz/$target" && timeout $((seconds + 120)) ./fuzz -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 corpus 2>&1 | grep -E "^(stat::|#[0-9]+ *DONE|==|SUMMARY|Done)" || true)
    # A crash leaves crash-<hash> next to the binary and a non-zero status, which the pipe above hides.
    if ls "$root/.fuzz/$target"/crash-* "$root/.fuzz/$target"/leak-* "$root/.fuzz/$target"/timeout-* >/dev/null 2>&1; then
        echo "FAIL  fuzz target $target found a crash: see .fuzz/$target/" >&2
        exit 1
    fi
done
