#!/usr/bin/env python3
"""A misbehaving registry on 127.0.0.1 for failure tests.

Usage: fake_registry.py PORT MODE [TARGET] [CERTDIR]
  hang              accept connections and never answer
  garbage           answer every request with bytes that are not HTTP
  mismatch          serve a `.sig` manifest whose simple-signing layer names sha256:abab… but serve other bytes
  identical-layers  serve a `.sig` manifest with 20 simple-signing layers that all name the same blob
  error             answer 503 to everything
  redirect          answer 307 to the same path on TARGET (scheme://host:port)
  bearer            answer 401 with a Bearer challenge whose realm is TARGET (a URL)
  referrers-STATUS  answer STATUS (e.g. 405) to the referrers API and forward everything else to TARGET
  referrers-hang    never answer the referrers API and forward everything else to TARGET
  blob-redirect     as a registry (any Host but 127.0.0.1:PORT): demand Basic credentials, forward manifests to
                    TARGET and redirect blobs to https://127.0.0.1:PORT, where (as the storage host) blobs are
                    forwarded only for requests without an Authorization header, which get 403
With CERTDIR (certs-dev output) it serves TLS with server.pem and trusts ca.pem when forwarding to TARGET.
Prints "ready" once listening, then "request HOST PATH auth=yes|no" per request.
"""
import hashlib
import json
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request

from owner_watch import stop_with_owner

SIMPLE = "application/vnd.dev.cosign.simplesigning.v1+json"
PAYLOAD = b'{"critical":{"identity":{"docker-reference":"x"},"image":{"docker-manifest-digest":"sha256:0"},' \
          b'"type":"cosign container image signature"},"optional":null}'


def serve(port: int, mode: str, target: str, certs: str) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    tls = None
    if certs:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(f"{certs}/server.pem", f"{certs}/server-key.pem")
    upstream = ssl.create_default_context(cafile=f"{certs}/ca.pem") if certs else None
    print("ready", flush=True)
    held = []
    while True:
        conn, _ = listener.accept()
        if mode == "hang":
            held.append(conn)  # keep it open, say nothing
            continue
        context = Context(port, mode, target, tls, upstream)
        threading.Thread(target=handle, args=(conn, context), daemon=True).start()


class Context:
    def __init__(self, port, mode, target, tls, upstream):
        self.port, self.mode, self.target, self.tls, self.upstream = port, mode, target, tls, upstream


def respond(conn, status: int, body: bytes, content_type="application/json", extra="") -> None:
    head = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    conn.sendall(head.encode() + body)


def forward(context, conn, path: str, headers: dict) -> None:
    """Relays one GET to the real registry at TARGET, status, type and body unchanged."""
    request = urllib.request.Request(context.target + path, headers={"Accept": headers.get("accept", "*/*")})
    try:
        with urllib.request.urlopen(request, context=context.upstream, timeout=10) as response:
            status, kind, body = response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        status, kind, body = error.code, error.headers.get("Content-Type", ""), error.read()
    respond(conn, status, body, kind or "application/octet-stream")


def signature_manifest(layers: list) -> bytes:
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2,
                                  "digest": "sha256:" + hashlib.sha256(b"{}").hexdigest()},
                       "layers": layers}).encode()


def canned(context, conn, path: str) -> None:
    """The `mismatch` and `identical-layers` answers: a `.sig` manifest, its blob, 404 for the rest."""
    if path.endswith(".sig"):
        digest = "sha256:" + ("ab" * 32 if context.mode == "mismatch" else hashlib.sha256(PAYLOAD).hexdigest())
        layer = {"mediaType": SIMPLE, "size": len(PAYLOAD), "digest": digest,
                 "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQ=="}}
        count = 20 if context.mode == "identical-layers" else 1
        respond(conn, 200, signature_manifest([layer] * count), "application/vnd.oci.image.manifest.v1+json")
    elif "/blobs/" in path:
        respond(conn, 200, PAYLOAD, "application/octet-stream")
    else:
        respond(conn, 404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')


def answer(context, conn, path: str, headers: dict) -> bool:
    """Answers one request; False closes the connection."""
    mode = context.mode
    if mode == "garbage":
        conn.sendall(b"\x16\x03\x01 this is not an HTTP response\r\n\r\n")
        return False
    if mode == "redirect":
        respond(conn, 307, b"", extra=f"Location: {context.target}{path}\r\n")
    elif mode == "bearer":
        respond(conn, 401, b"{}", extra=f'WWW-Authenticate: Bearer realm="{context.target}",service="fake"\r\n')
    elif mode == "error":
        respond(conn, 503, b"{}")
    elif mode.startswith("referrers-") and "/referrers/" in path:
        if mode == "referrers-hang":
            time.sleep(30)
            return False
        respond(conn, int(mode.split("-")[1]), b'{"errors":[{"code":"UNSUPPORTED"}]}')
    elif mode.startswith("referrers-"):
        forward(context, conn, path, headers)
    elif mode == "blob-redirect" and headers.get("host") == f"127.0.0.1:{context.port}":
        if "authorization" in headers:
            respond(conn, 403, b'{"errors":[{"code":"DENIED","message":"storage host got registry credentials"}]}')
        else:
            forward(context, conn, path, headers)
    elif mode == "blob-redirect" and "authorization" not in headers:
        respond(conn, 401, b"{}", extra='WWW-Authenticate: Basic realm="fake"\r\n')
    elif mode == "blob-redirect" and "/blobs/" in path:
        respond(conn, 307, b"", extra=f"Location: https://127.0.0.1:{context.port}{path}\r\n")
    elif mode == "blob-redirect":
        forward(context, conn, path, headers)
    else:
        canned(context, conn, path)
    return True


def handle(conn, context) -> None:
    try:
        if context.tls:
            conn = context.tls.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        conn.close()
        return
    with conn:
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                try:
                    chunk = conn.recv(4096)
                except (ssl.SSLError, OSError):
                    return
                if not chunk:
                    return
                buffer += chunk
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            lines = head.decode(errors="replace").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            auth = "yes" if "authorization" in headers else "no"
            print(f"request {headers.get('host', '')} {path} auth={auth}", flush=True)
            if not answer(context, conn, path, headers):
                return


if __name__ == "__main__":
    stop_with_owner()
    arguments = sys.argv[1:] + ["", ""]
    serve(int(arguments[0]), arguments[1], arguments[2], arguments[3])
