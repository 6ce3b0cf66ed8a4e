#!/usr/bin/env python3
"""A misbehaving registry on 127.0.0.1 for failure tests (plain HTTP; the verifier marks it insecure).

Usage: fake_registry.py PORT MODE [TARGET]
  hang      accept connections and never answer
  garbage   answer every request with bytes that are not HTTP
  mismatch  serve a `.sig` manifest whose simple-signing layer digest does not match the blob it serves
  error     answer 503 to everything
  redirect  answer 307 to the same path on TARGET (https://host:port), as registries do for blob storage
Prints "ready" once listening.
"""
import hashlib
import json
import socket
import sys
import threading

from owner_watch import stop_with_owner



def serve(port: int, mode: str, target: str) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    print("ready", flush=True)
    held = []
    while True:
        conn, _ = listener.accept()
        if mode == "hang":
            held.append(conn)  # keep it open, say nothing
            continue
        threading.Thread(target=handle, args=(conn, mode, target), daemon=True).start()


def respond(conn, status: int, body: bytes, content_type="application/json") -> None:
    head = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    conn.sendall(head.encode() + body)


def handle(conn, mode: str, target: str) -> None:
    with conn:
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                buffer += chunk
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            path = head.split(b" ")[1].decode()
            if mode == "garbage":
                conn.sendall(b"\x16\x03\x01 this is not an HTTP response\r\n\r\n")
                return
            if mode == "redirect":
                conn.sendall(f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}{path}\r\n"
                             "Content-Length: 0\r\n\r\n".encode())
                continue
            if mode == "error":
                respond(conn, 503, b"{}")
                continue
            payload = b'{"critical":{"identity":{"docker-reference":"x"},"image":{"docker-manifest-digest":"sha256:0"},' \
                      b'"type":"cosign container image signature"},"optional":null}'
            if path.endswith(".sig"):
                wrong = "sha256:" + hashlib.sha256(payload + b" ").hexdigest()
                manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2,
                                       "digest": "sha256:" + hashlib.sha256(b"{}").hexdigest()},
                            "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                                        "size": len(payload), "digest": wrong,
                                        "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQ=="}}]}
                respond(conn, 200, json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json")
            elif "/blobs/" in path:
                respond(conn, 200, payload, "application/octet-stream")
            else:
                respond(conn, 404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')


if __name__ == "__main__":
    stop_with_owner()
    serve(int(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
