"""Minimal OCI distribution API pusher (blobs, manifests) for the live tests, independent of Portcullis."""
import base64
import hashlib
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


class Registry:
    def __init__(self, host: str, ca_file: str, token_url: str = None, user: str = None, password: str = None):
        self.host = host
        self.context = ssl.create_default_context(cafile=ca_file)
        self.token_url, self.user, self.password = token_url, user, password
        self.tokens = {}

    def _auth(self, repo: str) -> dict:
        if not self.token_url:
            return {}
        if repo not in self.tokens:
            query = urllib.parse.urlencode({"service": "portcullis-test", "scope": f"repository:{repo}:pull,push"})
            request = urllib.request.Request(f"{self.token_url}?{query}")
            basic = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            request.add_header("Authorization", "Basic " + basic)
            with urllib.request.urlopen(request, context=self.context) as response:
                self.tokens[repo] = json.load(response)["token"]
        return {"Authorization": "Bearer " + self.tokens[repo]}

    def _call(self, method: str, url: str, repo: str, body: bytes = None, headers=None):
        if not url.startswith("http"):
            url = f"https://{self.host}{url}"
        request = urllib.request.Request(url, data=body, method=method)
        for name, value in {**self._auth(repo), **(headers or {})}.items():
            request.add_header(name, value)
        return urllib.request.urlopen(request, context=self.context)

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with self._call("POST", f"/v2/{repo}/blobs/uploads/", repo, b"") as response:
            location = response.headers["Location"]
        if not location.startswith("http"):
            location = f"https://{self.host}{location}"
        separator = "&" if "?" in location else "?"
        self._call("PUT", f"{location}{separator}digest={digest}", repo, data,
                   {"Content-Type": "application/octet-stream"}).close()
        return digest

    def push_manifest(self, repo: str, reference: str, manifest: dict, media_type=OCI_MANIFEST) -> str:
        body = json.dumps(manifest, separators=(",", ":")).encode()
        self._call("PUT", f"/v2/{repo}/manifests/{reference}", repo, body, {"Content-Type": media_type}).close()
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def descriptor(self, media_type: str, data: bytes, annotations=None) -> dict:
        entry = {"mediaType": media_type, "size": len(data), "digest": "sha256:" + hashlib.sha256(data).hexdigest()}
        if annotations:
            entry["annotations"] = annotations
        return entry
