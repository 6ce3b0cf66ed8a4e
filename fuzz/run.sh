#!/bin/sh
# Builds each libFuzzer target with AddressSanitizer and fuzzes it for SECONDS (default 30) from its committed
# corpus (fuzz/corpus/<target>; new inputs found are kept in .fuzz/<target>/corpus, not committed).
# Usage: fuzz/run.sh [SECONDS] [TARGET…]
#   targets: http-parser admission-review image-reference http-client-response gzip-reader policy-yaml audit-log
#            oci-json oci-manifest
# Each target is compiled with its module's own sources only: a parser that starts needing OpenSSL, sockets
# or the policy breaks its build, on purpose. policy-yaml and audit-log read modules that need the package build
# (Yams; OpenSSL and swift-log): they compile Policy's or Audit's sources into the target and link the other
# modules from `swift build`'s debug objects (run it first; `make test` and `make fuzz` do).
# A target is rebuilt only when one of its inputs is newer than it.
set -eu
seconds="${1:-30}"
[ $# -gt 0 ] && shift
root="$(cd "$(dirname "$0")/.." && pwd)"
targets="${*:-http-parser admission-review image-reference http-client-response gzip-reader policy-yaml audit-log oci-json oci-manifest}"
flags="-O -sanitize=fuzzer,address -parse-as-library"

fresh() { # output, then inputs: true when the output exists and no input file is newer
    output=$1
    shift
    [ -f "$output" ] || return 1
    for input in "$@"; do
        if [ -f "$input" ] && [ "$input" -nt "$output" ]; then return 1; fi
    done
}

build() { # name, then swiftc arguments
    name=$1
    shift
    out="$root/.fuzz/$name"
    mkdir -p "$out/corpus"
    cp "$root/fuzz/corpus/$name/"* "$out/corpus/" 2>/dev/null || true
    fresh "$out/fuzz" "$@" && return 0
    # shellcheck disable=SC2086 # flags is a list
    if ! swiftc $flags "$@" -o "$out/fuzz" 2>"$out/build.log"; then
        # ld.gold's "Cannot export local symbol" warnings are noise from the sanitizer runtime.
        grep -v "Cannot export local symbol" "$out/build.log" >&2
        exit 1
    fi
}

# The package's debug build: its module interfaces, and the objects of the modules named.
debug="$root/.build/debug"
package_objects() {
    for module in "$@"; do
        [ -d "$debug/$module.build" ] || { echo "no $debug/$module.build: run swift build first" >&2; exit 1; }
        find "$debug/$module.build" -name "*.o"
    done
}

for target in $targets; do
    case $target in
    http-parser)
        build http-parser "$root/fuzz/HTTPParserFuzz.swift" \
            "$root/Sources/HTTPTransport/HTTPRequestParser.swift" "$root/Sources/HTTPTransport/HTTPMessage.swift"
        max_len=4096 ;;
    admission-review)
        # AdmissionAPI imports JSONText: build that module first (-wmo: its files into one object), then the target
        # with AdmissionAPI's sources.
        mkdir -p "$root/.fuzz/modules"
        # shellcheck disable=SC2086
        fresh "$root/.fuzz/modules/JSONText.o" "$root"/Sources/JSONText/*.swift || swiftc $flags -wmo -module-name JSONText -emit-module -emit-module-path "$root/.fuzz/modules/JSONText.swiftmodule" \
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
    policy-yaml)
        yams="$root/.build/checkouts/Yams/Sources/CYaml/include"
        # shellcheck disable=SC2046 # one argument per object file
        build policy-yaml -I "$debug/Modules" -Xcc -fmodule-map-file="$yams/module.modulemap" -Xcc -I -Xcc "$yams" \
            "$root/fuzz/PolicyYAMLFuzz.swift" "$root"/Sources/Policy/*.swift \
            $(package_objects AdmissionAPI JSONText Yams CYaml)
        max_len=16384 ;;
    audit-log)
        # shellcheck disable=SC2046
        build audit-log -package-name portcullis_fuzz -I "$debug/Modules" \
            -Xcc -fmodule-map-file="$root/Sources/COpenSSL/module.modulemap" \
            -Xcc -fmodule-map-file="$root/Sources/CZlib/module.modulemap" \
            -Xcc -fmodule-map-file="$debug/CShims.build/module.modulemap" -Xcc -I -Xcc "$root/Sources/CShims/include" \
            "$root/fuzz/AuditLogFuzz.swift" "$root"/Sources/Audit/*.swift \
            $(package_objects PortcullisCrypto CShims Compression JSONText Logging) -lssl -lcrypto -lz
        max_len=4096 ;;
    oci-json)
        build oci-json "$root/fuzz/SignatureJSONFuzz.swift" "$root/Sources/Signatures/DSSEEnvelope.swift" \
            "$root/Sources/Signatures/SimpleSigningPayload.swift"
        max_len=65536 ;;
    oci-manifest)
        # shellcheck disable=SC2046
        build oci-manifest -I "$debug/Modules" "$root/fuzz/OCIManifestFuzz.swift" \
            "$root/Sources/Signatures/OCIManifestJSON.swift" $(package_objects AdmissionAPI JSONText)
        max_len=16384 ;;
    *)
        echo "unknown fuzz target $target (http-parser, admission-review, image-reference, http-client-response," \
            "gzip-reader, policy-yaml, audit-log, oci-json, oci-manifest)" >&2
        exit 2 ;;
    esac
    echo "fuzzing $target for ${seconds}s"
    # `timeout`: a crash report that hangs (the sanitizer's symbolizer) must not hang `make test`.
    # SWIFT_BACKTRACE: the Swift runtime's own crash backtracer can stall a crashing target; libFuzzer reports it.
    (cd "$root/.fuzz/$target" && SWIFT_BACKTRACE=enable=no timeout $((seconds + 120)) ./fuzz -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 corpus 2>&1 | grep -E "^(stat::|#[0-9]+ *DONE|==|SUMMARY|Done)" || true)
    # A crash leaves crash-<hash> next to the binary and a non-zero status, which the pipe above hides. Each kind
    # is looked for on its own: one `ls` of all three failed, and passed the run, unless every kind was present.
    for found in "$root/.fuzz/$target"/crash-* "$root/.fuzz/$target"/leak-* "$root/.fuzz/$target"/timeout-*; do
        if [ -e "$found" ]; then
            echo "FAIL  fuzz target $target found a crash: see $found" >&2
            exit 1
        fi
    done
done
