"""The address parties are told to use for the exchange, from how its Services are exposed."""

from __future__ import annotations

from typing import Any


def lb_address(ingress: list[Any] | None) -> str | None:
    """First IP or hostname the load balancer published."""
    for item in ingress or []:
        address = (item.get("ip") or item.get("hostname")) if isinstance(item, dict) else None
        if address:
            return address
    return None


def advertised(
    service_type: str,
    ingress: list[Any] | None,
    advertised_host: str | None,
    in_cluster: str | None,
    port: int,
    node_port: int | None,
) -> tuple[str | None, int]:
    """(host, port): the configured host wins; else the LB's address, a node port, or ``in_cluster`` (the
    Service's DNS name or cluster IP) for a ClusterIP Service."""
    if service_type == "NodePort":
        return advertised_host, node_port or port
    if service_type == "ClusterIP":
        return advertised_host or in_cluster, port
    return advertised_host or lb_address(ingress), port
