"""The party namespace's NetworkPolicies: default-deny ingress, then the flows of components/fate_cluster/
flows.py for exactly the workloads this party renders."""

from __future__ import annotations

from typing import Any

from components.fate_cluster import objects as o
from components.fate_cluster.context import BuildContext
from components.fate_cluster.flows import TOY, TOY_SELECTOR, party_flows
from components.network_policy import policies, register
from models.fate import FateSpec


def party_policies(spec: FateSpec, modules: list[str]) -> list[dict[str, Any]]:
    selectors = {m: o.selector(spec, m) for m in modules}
    # The toy job is a source only (no policy of its own): its selector lets fateflow admit it.
    flows = {**party_flows(spec), TOY: []}
    return policies(spec.cluster_namespace, o.labels(spec, "network-policy"), flows, {**selectors, TOY: TOY_SELECTOR})


def build_network_policies(ctx: BuildContext) -> None:
    register(ctx.name, party_policies(ctx.spec, ctx.modules), ctx.opts())
