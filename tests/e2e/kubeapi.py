"""A tiny Kubernetes REST client for end-to-end checks and the simulated Supervisor.

Why not the official client: the tests need a dozen calls, and the local control plane's kubeconfig carries
inline client certificates; the standard library handles that without another dependency to pin.
"""

from __future__ import annotations

import base64
import json
import ssl
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ApiError(Exception):
    def __init__(self, status: int, body: str):
        self.status = status
        super().__init__(f"HTTP {status}: {body[:500]}")


@dataclass
class KubeApi:
    server: str
    context: ssl.SSLContext
    token: str | None = None

    @classmethod
    def from_kubeconfig(cls, path: str | Path) -> KubeApi:
        return cls.from_kubeconfig_text(Path(path).read_text())

    @classmethod
    def from_kubeconfig_text(cls, text: str) -> KubeApi:
        cfg = yaml.safe_load(text)
        current = cfg.get("current-context") or cfg["contexts"][0]["name"]
        ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == current)
        cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in cfg["users"] if u["name"] == ctx["user"])
        context = ssl.create_default_context()
        if "certificate-authority-data" in cluster:
            context.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        elif "certificate-authority" in cluster:
            context.load_verify_locations(cafile=cluster["certificate-authority"])
        if "client-certificate-data" in user:
            # ssl reads the pair from files only; they exist just for this call, so no key is left behind.
            with tempfile.TemporaryDirectory(prefix="kubeapi-") as tmp:
                crt, key = Path(tmp) / "c.crt", Path(tmp) / "c.key"
                crt.write_bytes(base64.b64decode(user["client-certificate-data"]))
                key.touch(mode=0o600)
                key.write_bytes(base64.b64decode(user["client-key-data"]))
                context.load_cert_chain(str(crt), str(key))
        elif "client-certificate" in user:
            context.load_cert_chain(user["client-certificate"], user["client-key"])
        return cls(cluster["server"].rstrip("/"), context, user.get("token"))

    def request(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise ApiError(exc.code, exc.read().decode(errors="replace")) from None
        return json.loads(raw) if raw else {}

    def get(self, path: str) -> dict[str, Any]:
        return self.request("GET", path)

    def get_or_none(self, path: str) -> dict[str, Any] | None:
        try:
            return self.get(path)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", path, body)

    def apply(self, path: str, body: dict[str, Any], manager: str = "kubefate-tanzu-tests") -> dict[str, Any]:
        """Server-side apply of one object at its own path (``.../namespaces/ns/kind/name``)."""
        return self.request("PATCH", f"{path}?fieldManager={manager}&force=true", body, "application/apply-patch+yaml")

    def merge_patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("PATCH", path, body, "application/merge-patch+json")

    def delete(self, path: str) -> None:
        try:
            self.request("DELETE", path)
        except ApiError as exc:
            if exc.status != 404:
                raise

    def items(self, path: str) -> list[dict[str, Any]]:
        return self.get(path).get("items", [])
