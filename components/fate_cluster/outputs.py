"""Endpoints the exchange needs, read from the LoadBalancer Services' status.

A party whose nginx/pulsar is not a LoadBalancer (or whose address is not assigned yet) reports None: the
exchange treats it as pending rather than routing to an address nobody outside the cluster can reach.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from models.fate import FateSpec


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return obj


def lb_address(status: Any) -> str | None:
    """``status.loadBalancer.ingress[0].ip`` or ``.hostname`` (AVI/NSX give IPs, cloud LBs may give names)."""
    ingress = _get(status, "load_balancer", "ingress") or _get(status, "loadBalancer", "ingress")
    if not ingress:
        return None
    first = ingress[0]
    return _get(first, "ip") or _get(first, "hostname")


def nginx_endpoint_of(host: str) -> dict[str, Any]:
    return {"host": host, "httpPort": 9300, "grpcPort": 9310}


def pulsar_endpoint_of(host: str) -> dict[str, Any]:
    return {"host": host, "sslPort": 6651}


def lb_endpoint(
    spec: FateSpec, service: k8s.core.v1.Service | None, module: str, shape: Callable[[str], dict[str, Any]]
) -> pulumi.Output[Any]:
    block = spec.block(module)
    if service is None or getattr(block, "type", None) != "LoadBalancer":
        return pulumi.Output.from_input(None)

    def endpoint(status: Any) -> dict[str, Any] | None:
        host = lb_address(status)
        return shape(host) if host else None

    return service.status.apply(endpoint)
