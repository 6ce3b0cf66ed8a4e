#!/usr/bin/env bash
# Makes a development CA, a server certificate for the in-cluster and local names of Portcullis, and a
# client certificate for trying mTLS (--client-ca). Idempotent: existing files that are still valid for
# a week and belong together are kept; anything missing or stale is made again.
#
# Usage: certs-dev/make-dev-certs.sh [OUTDIR]     (default: certs-dev/out, which git ignores)
# Output: ca.pem ca-key.pem server.pem server-key.pem client.pem client-key.pem (keys are mode 0600)
# For development only: the CA key sits next to the certificates it signs.
set -euo pipefail

out="${1:-$(cd "$(dirname "$0")" && pwd)/out}"
mkdir -p "$out"
cd "$out"
umask 077

week=604800
valid() { # valid CERT [ISSUER]: exists, not expiring within a week, and (when given) signed by ISSUER
    [[ -s "$1" ]] && openssl x509 -in "$1" -noout -checkend "$week" >/dev/null 2>&1 || return 1
    [[ $# -lt 2 ]] || openssl verify -CAfile "$2" "$1" >/dev/null 2>&1
}
matches() { # matches CERT KEY: the key is the certificate's
    [[ -s "$2" ]] && [[ "$(openssl x509 -in "$1" -noout -pubkey)" == "$(openssl pkey -in "$2" -pubout)" ]]
}
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if ! valid ca.pem || ! matches ca.pem ca-key.pem; then
    newkey ca-key.pem
    openssl req -x509 -new -key ca-key.pem -days 3650 -sha256 -subj "/O=Portcullis dev/CN=Portcullis dev CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out ca.pem
    rm -f server.pem client.pem # signed by the old CA
    echo "made dev CA: $out/ca.pem"
fi

issue() { # issue NAME SUBJECT EXTENSIONS
    if valid "$1.pem" ca.pem && matches "$1.pem" "$1-key.pem"; then return; fi
    newkey "$1-key.pem"
    openssl req -new -key "$1-key.pem" -subj "$2" |
        openssl x509 -req -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 365 -sha256 \
            -extfile <(printf '%s\n' "$3") -out "$1.pem" 2>/dev/null
    echo "made $1 certificate: $out/$1.pem"
}

issue server "/O=Portcullis dev/CN=portcullis.portcullis.svc" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:portcullis.portcullis.svc,DNS:portcullis.portcullis.svc.cluster.local,DNS:localhost,IP:127.0.0.1"

issue client "/O=Portcullis dev/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

chmod 0644 ca.pem server.pem client.pem
rm -f ca.srl
