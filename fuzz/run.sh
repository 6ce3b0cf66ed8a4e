#!/bin/sh
# Builds the HTTP request parser with libFuzzer + AddressSanitizer and fuzzes it for SECONDS (default 30).
# Usage: fuzz/run.sh [SECONDS]
set -eu
seconds="${1:-30}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/.fuzz"
mkdir -p "$out/corpus"
cp "$root"/fuzz/corpus/* "$out/corpus/" 2>/dev/null || true
rm -f "$out/http-parser-fuzz"
# The parser's own files only: if it ever needs OpenSSL or sockets, this build breaks, on purpose.
if ! swiftc -O -sanitize=fuzzer,address -parse-as-library \
    "$root/fuzz/HTTPParserFuzz.swift" \
    "$root/Sources/HTTPTransport/HTTPRequestParser.swift" \
    "$root/Sources/HTTPTransport/HTTPMessage.swift" \
    -o "$out/http-parser-fuzz" 2>"$out/build.log"; then
    # ld.gold's "Cannot export local symbol" warnings are noise from the sanitizer runtime.
    grep -v "Cannot export local symbol" "$out/build.log" >&2
    exit 1
fi
cd "$out"
exec ./http-parser-fuzz -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 corpus
