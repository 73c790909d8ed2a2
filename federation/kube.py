"""A minimal Kubernetes REST client for the federation command (``toy``): stdlib + PyYAML only.

Why not the official client: the command makes a handful of calls (read a StatefulSet, create, watch and
delete a Job, read a pod's log), and pinning kubernetes-client for that would add a large dependency to
every site. Supported kubeconfig credentials: client certificates (inline ``*-data`` or files), bearer
tokens (``token`` or ``tokenFile``), the cluster CA (inline or file) and ``insecure-skip-tls-verify``.
Exec plugins and auth providers are refused with the fix named.

Credentials never reach an error message or the terminal. ``ssl`` loads a client key only from a file, so an
inline key is written to a private temporary directory (0700, the key 0600) just for ``load_cert_chain`` and
removed right after.
"""

from __future__ import annotations

import base64
import json
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class KubeconfigError(Exception):
    """The kubeconfig cannot be used; the message names the file and what is wrong, never a credential."""


class KubeError(Exception):
    """The API server answered with an error status (``status``), or could not be reached (``status`` 0)."""

    def __init__(self, status: int, reason: str, message: str):
        self.status, self.reason, self.message = status, reason, message
        prefix = f"HTTP {status} {reason}".strip() if status else "API server unreachable"
        super().__init__(f"{prefix}: {message}")


def _pick(entries: Any, name: str | None, kind: str, source: str) -> dict[str, Any]:
    for entry in entries or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry.get(kind) or {}
    raise KubeconfigError(f"{source}: no {kind} named {name!r}")


def _path(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


@dataclass
class KubeClient:
    server: str
    context: ssl.SSLContext
    token: str | None = None
    timeout: float = 30.0

    def __repr__(self) -> str:  # never show the token
        return f"KubeClient(server={self.server!r})"

    @classmethod
    def from_kubeconfig(cls, path: str | Path, context: str | None = None) -> KubeClient:
        path = Path(path).expanduser()
        try:
            text = path.read_text()
        except OSError as exc:
            raise KubeconfigError(f"{path}: cannot read the kubeconfig ({exc.strerror or exc})") from None
        return cls.from_kubeconfig_text(text, context, source=str(path), base=path.parent)

    @classmethod
    def from_kubeconfig_text(
        cls, text: str, context: str | None = None, source: str = "kubeconfig", base: Path | None = None
    ) -> KubeClient:
        base = base or Path.cwd()
        try:
            cfg = yaml.safe_load(text)
        except yaml.YAMLError:
            raise KubeconfigError(f"{source}: not YAML") from None  # the text may hold secrets: not quoted
        if not isinstance(cfg, dict) or not cfg.get("contexts"):
            raise KubeconfigError(f"{source}: not a kubeconfig (no contexts)")
        name = context or cfg.get("current-context") or (cfg["contexts"][0] or {}).get("name")
        ctx = _pick(cfg.get("contexts"), name, "context", source)
        cluster = _pick(cfg.get("clusters"), ctx.get("cluster"), "cluster", source)
        user = _pick(cfg.get("users"), ctx.get("user"), "user", source) if ctx.get("user") else {}
        server = str(cluster.get("server") or "").rstrip("/")
        if not server.startswith(("https://", "http://")):
            raise KubeconfigError(f"{source}: cluster {ctx.get('cluster')!r} has no https:// server")
        if "exec" in user or "auth-provider" in user:
            raise KubeconfigError(
                f"{source}: user {ctx.get('user')!r} uses an exec/auth-provider plugin, which this command does "
                "not run. Fix: pass --kubeconfig with a token or client-certificate kubeconfig (e.g. a "
                "service-account token kubeconfig, or the workload cluster's admin kubeconfig Secret)"
            )
        tls = ssl.create_default_context()
        if cluster.get("insecure-skip-tls-verify"):
            tls.check_hostname = False
            tls.verify_mode = ssl.CERT_NONE
        elif "certificate-authority-data" in cluster:
            try:
                tls.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
            except (ValueError, ssl.SSLError) as exc:
                raise KubeconfigError(f"{source}: certificate-authority-data is not a PEM CA ({exc})") from None
        elif "certificate-authority" in cluster:
            tls.load_verify_locations(cafile=str(_path(cluster["certificate-authority"], base)))
        try:
            if "client-certificate-data" in user:
                with tempfile.TemporaryDirectory(prefix="kft-kube-") as tmp:
                    crt, key = Path(tmp) / "client.crt", Path(tmp) / "client.key"
                    crt.write_bytes(base64.b64decode(user["client-certificate-data"]))
                    key.touch(mode=0o600)
                    key.write_bytes(base64.b64decode(user.get("client-key-data") or ""))
                    tls.load_cert_chain(str(crt), str(key))
            elif "client-certificate" in user:
                tls.load_cert_chain(
                    str(_path(user["client-certificate"], base)), str(_path(user.get("client-key") or "", base))
                )
        except (ValueError, OSError, ssl.SSLError):
            raise KubeconfigError(
                f"{source}: user {ctx.get('user')!r} has an unusable client certificate or key"
            ) from None
        token = user.get("token")
        if not token and user.get("tokenFile"):
            try:
                token = _path(user["tokenFile"], base).read_text().strip()
            except OSError:
                raise KubeconfigError(f"{source}: tokenFile {user['tokenFile']!r} is not readable") from None
        return cls(server, tls, token or None)

    # --- requests --------------------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Mapping[str, str] | None = None,
        accept: str = "application/json",
    ) -> bytes:
        url = self.server + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", accept)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=self.timeout) as resp:
                return resp.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read().decode(errors="replace")
            try:
                status = json.loads(raw)
                message = status.get("message") or raw
                reason = status.get("reason") or exc.reason
            except (ValueError, AttributeError):
                message, reason = raw, exc.reason
            raise KubeError(exc.code, str(reason or ""), str(message)[:600]) from None
        except (urllib.error.URLError, OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "reason", exc)
            raise KubeError(0, "", f"{self.server}: {reason}") from None

    def request(
        self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        raw = self._send(method, path, body, query)
        return json.loads(raw) if raw else {}

    def get(self, path: str, query: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self.request("GET", path, query=query)

    def get_or_none(self, path: str) -> dict[str, Any] | None:
        try:
            return self.get(path)
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", path, body)

    def delete(self, path: str, propagation: str = "Background") -> None:
        """Delete; an object already gone is not an error."""
        try:
            self.request(
                "DELETE", path, {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
            )
        except KubeError as exc:
            if exc.status != 404:
                raise

    def items(self, path: str, query: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        return self.get(path, query).get("items") or []

    def log(self, namespace: str, pod: str, container: str, tail_lines: int | None = None) -> str:
        query = {"container": container}
        if tail_lines:
            query["tailLines"] = str(tail_lines)
        raw = self._send("GET", f"/api/v1/namespaces/{namespace}/pods/{pod}/log", query=query, accept="*/*")
        return raw.decode(errors="replace")
