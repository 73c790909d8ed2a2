"""Who may reach a workload, as plain data: the FATE module definitions (models/modules/) and the exchange and
KubeFATE components describe their flows with it, and components/network_policy.py turns them into
NetworkPolicies. Kept free of Pulumi so a module's definition can say who talks to it."""

from __future__ import annotations

from dataclasses import dataclass

# Peer tokens of a flow besides workload names.
ANYWHERE = "anywhere"
"""Any address, inside or outside the cluster: the ports a LoadBalancer publishes to the federation (the
load balancer's ``loadBalancerSourceRanges`` narrows who reaches it)."""
INGRESS_CONTROLLER = "ingress-controller"
"""Any pod of any namespace, where the cluster's ingress controller runs: the UI behind an Ingress is as
reachable as the Ingress itself, so the policy does not pretend otherwise."""
TOY = "fate-toy"
"""The toy check's pod (federation/toy_job.py), which runs FATE's client in the party namespace."""


@dataclass(frozen=True)
class Allow:
    """``sources`` may reach the workload on ``ports`` (None: any port, for pools that talk on ports they
    pick at run time, like Spark executors and eggroll's egg pairs)."""

    ports: tuple[int, ...] | None
    sources: tuple[str, ...]
