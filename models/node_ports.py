"""Node ports across stacks that deploy to one control plane: a node port is a per-cluster resource.

Each stack checks its own node ports (models/fate_rules.py, models/exchange.py), but two stacks on one cluster
(the local federation: the exchange and every party on one API server) cannot see each other's config, and the
second ``pulumi up`` would fail half-way with "provided port is already allocated". The federation command
reads every stack file before any stack runs, so it judges them together here (federation/plan.py).

Which stacks share a cluster is read from their ``cluster`` block: the same kubeconfig file and context, or
the same Tanzu cluster in the same vSphere namespace. A kubeconfig held only as a secret cannot be compared
(it is encrypted in the stack file), so such a stack is judged alone.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from models import modules as module_registry
from models.engines import backend_named
from models.errors import ConfigError, PrimitiveError, Problem
from models.fate_rules import NODE_PORT_KEYS
from models.kubefate_yaml import load_cluster_yaml
from models.primitives import inside_project

NAMESPACE = "kubefate-tanzu"
_OPENS_NODE_PORTS = ("NodePort", "LoadBalancer")
EXCHANGE_NODE_PORTS = (
    ("trafficServer.nodePort", "trafficServer"),
    ("nginx.httpNodePort", "nginx"),
    ("nginx.grpcNodePort", "nginx"),
)


def cluster_identity(cluster: Any) -> tuple[str, ...] | None:
    """The control plane a ``cluster`` block deploys to, or None when the file does not say."""
    if not isinstance(cluster, dict):
        return None
    mode = cluster.get("mode", "tanzu")
    if mode == "kubeconfig" and isinstance(cluster.get("kubeconfigPath"), str):
        return ("kubeconfig", posixpath.normpath(cluster["kubeconfigPath"]), str(cluster.get("context") or ""))
    if mode == "tanzu" and isinstance(cluster.get("name"), str):
        return ("tanzu", str(cluster.get("vsphereNamespace") or ""), cluster["name"])
    return None


def _at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _fate_block(settings: dict[str, Any], project_dir: Path) -> tuple[dict[str, Any], str]:
    path = settings.get(f"{NAMESPACE}:kubefateClusterYaml")
    if path is None:
        fate = settings.get(f"{NAMESPACE}:fate")
        return (fate if isinstance(fate, dict) else {}), "fate"
    try:
        return load_cluster_yaml(inside_project(path, project_dir)), f"kubefateClusterYaml[{path}]"
    except (PrimitiveError, ConfigError):
        return {}, "fate"  # the party stack itself reports a bad or unreadable file, with its fix


def _party_ports(settings: dict[str, Any], project_dir: Path) -> Iterator[tuple[str, Any]]:
    fate, prefix = _fate_block(settings, project_dir)
    backend = backend_named(fate.get("backend"))
    modules = fate.get("modules") or (module_registry.backend_modules(backend) if backend else ())
    for path, owner in NODE_PORT_KEYS:
        port = _at(fate, path)
        opened = _at(fate, f"{owner}.type") in _OPENS_NODE_PORTS
        if port is not None and module_registry.module_of(path) in modules and opened:
            yield f"{prefix}.{path}", port


def _exchange_ports(settings: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    exchange = settings.get(f"{NAMESPACE}:exchange")
    for path, owner in EXCHANGE_NODE_PORTS:
        port = _at(exchange, path)
        if port is not None and (_at(exchange, f"{owner}.type") or "LoadBalancer") in _OPENS_NODE_PORTS:
            yield f"exchange.{path}", port


def node_ports(settings: dict[str, Any], project_dir: Path) -> list[tuple[str, Any]]:
    """(field path, port) of every node port a stack's ``config`` block opens."""
    if settings.get(f"{NAMESPACE}:role") == "exchange":
        return list(_exchange_ports(settings))
    return list(_party_ports(settings, project_dir))


def shared_cluster_clashes(stacks: dict[str, dict[str, Any]], project_dir: Path) -> list[Problem]:
    """Node ports two stacks on the same control plane both claim; ``stacks`` maps a stack name to its
    ``config`` block (as in Pulumi.<stack>.yaml). Each clash is reported at the later stack's field."""
    problems: list[Problem] = []
    owners: dict[tuple[tuple[str, ...], Any], tuple[str, str]] = {}
    for stack, settings in stacks.items():
        identity = cluster_identity(settings.get(f"{NAMESPACE}:cluster"))
        if identity is None:
            continue
        for field, port in node_ports(settings, project_dir):
            other = owners.get((identity, port))
            if other is not None and other[0] != stack:
                problems.append(
                    Problem(
                        f"{stack}: {field}",
                        port,
                        f"node port already opened by stack {other[0]!r} ({other[1]}) on the same cluster",
                        "give each stack on a shared cluster its own node ports",
                    )
                )
            owners.setdefault((identity, port), (stack, field))
    return problems
