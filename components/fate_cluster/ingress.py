"""Ingresses for the web UIs and the URLs they answer on.

Default hosts are unique per party (``fateboard.<partyId>.fate.local``) rather than upstream's shared
``*.example.com``, which collide as soon as two parties share a cluster or an ingress controller (§12.18).
Spark and pulsar admin UIs get an Ingress only when ``ingress.spark``/``ingress.pulsar`` are set: they have no
authentication, so exposing them is an explicit decision.
"""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s

from components.fate_cluster import objects as o
from components.fate_cluster.context import BuildContext
from components.provider_input import ProviderInput
from models import modules
from models.fate import FateSpec

# ui -> (default host label, service, port, module label), from the module definitions (models/modules/).
UIS: dict[str, tuple[str, str, int, str]] = {
    p.ui.key: (p.ui.host_label, p.ui.service, p.ui.port, p.label) for p in modules.PARTS if p.ui is not None
}


def ingress_hosts(spec: FateSpec, ui: str) -> list[tuple[str, str]]:
    cfg = getattr(spec.ingress, ui, None) if spec.ingress is not None else None
    if cfg is not None and cfg.hosts:
        return [(h.name, h.path or "/") for h in cfg.hosts]
    return [(f"{UIS[ui][0]}.{spec.party_id}.fate.local", "/")]


def ingress_url(spec: FateSpec, ui: str) -> str:
    host, path = ingress_hosts(spec, ui)[0]
    cfg = getattr(spec.ingress, ui, None) if spec.ingress is not None else None
    tls_hosts = {h for t in ((cfg.tls if cfg else None) or ()) for h in (t.hosts or ())}
    return f"{'https' if host in tls_hosts else 'http'}://{host}{path}"


def ingress_body(spec: FateSpec, ui: str) -> ProviderInput:
    _, service, port, _ = UIS[ui]
    cfg = getattr(spec.ingress, ui, None) if spec.ingress is not None else None
    rules = [
        {
            "host": host,
            "http": {
                "paths": [
                    {
                        "path": path,
                        "pathType": "Prefix",
                        "backend": {"service": {"name": service, "port": {"number": port}}},
                    }
                ]
            },
        }
        for host, path in ingress_hosts(spec, ui)
    ]
    body: dict[str, Any] = {"ingressClassName": spec.ingress_class_name or "nginx", "rules": rules}
    if cfg is not None and cfg.tls:
        body["tls"] = [{"secretName": t.secret_name, "hosts": t.hosts or []} for t in cfg.tls]
    return body


def wanted_uis(spec: FateSpec) -> list[str]:
    """The UIs of the deployed modules; those without authentication (``on_request``) only when asked for."""
    uis = []
    for part in modules.PARTS:
        ui = part.ui
        if ui is None or not spec.has(modules.module_of(part.path)):
            continue
        if not ui.on_request or (spec.ingress is not None and getattr(spec.ingress, ui.key) is not None):
            uis.append(ui.key)
    return uis


def build_ingresses(ctx: BuildContext) -> None:
    spec = ctx.spec
    for ui in wanted_uis(spec):
        cfg = getattr(spec.ingress, ui, None) if spec.ingress is not None else None
        annotations = dict((cfg.annotations if cfg else None) or {})
        k8s_name = UIS[ui][0] if ui != "client" else "client"
        k8s.networking.v1.Ingress(
            ctx.rname("ingress", k8s_name),
            metadata=o.metadata(spec, k8s_name, UIS[ui][3], annotations or None),
            spec=ingress_body(spec, ui),
            opts=ctx.opts(),
        )
