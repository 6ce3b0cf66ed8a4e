#!/usr/bin/env python3
"""Parse Prometheus text exposition from stdin with prometheus_client's own parser.

Used by the WebhookTests to check /metrics output with a real, independent parser rather than
with Portcullis' own idea of the format. Prints one JSON object:
{"families": {name: type}, "samples": [[name, {label: value}, value], ...]}.
A parse error exits 1 with the parser's message on stderr.
"""
import json
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    sys.exit("prometheus_client is missing: run scripts/test-tools.sh and put .venv/bin first on PATH"
             " (make test does both)")


def main() -> int:
    text = sys.stdin.read()
    families, samples = {}, []
    try:
        for family in text_string_to_metric_families(text):
            families[family.name] = family.type
            samples.extend([s.name, s.labels, s.value] for s in family.samples)
    except Exception as error:  # the parser raises ValueError and friends on malformed input
        print(f"prometheus_client could not parse the exposition: {error}", file=sys.stderr)
        return 1
    json.dump({"families": families, "samples": samples}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
