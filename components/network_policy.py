"""NetworkPolicy bodies from a description of who may reach whom, shared by every namespace the stacks own.

Every namespace gets ``default-deny-ingress`` first, then one ``allow-<workload>`` policy per workload that
accepts connections, listing exactly the peers and ports its flows name. Egress stays open: the parties'
traffic leaves through the exchange and the federation's addresses are only known at apply time. The flows
themselves (``Allow`` and the peer tokens) are plain data in models/flows.py, so the FATE module definitions
can hold theirs.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from models.flows import ANYWHERE, INGRESS_CONTROLLER, Allow

__all__ = ["ANYWHERE", "INGRESS_CONTROLLER", "Allow", "policies", "register"]


def peer(source: str, selectors: dict[str, dict[str, str]]) -> dict[str, Any] | None:
    """The ``from`` entry of one source; None for ANYWHERE (an absent ``from`` admits every source)."""
    if source == ANYWHERE:
        return None
    if source == INGRESS_CONTROLLER:
        return {"namespaceSelector": {}}
    return {"podSelector": {"matchLabels": selectors[source]}}


def ingress_rules(allows: list[Allow], selectors: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Rules for the sources that exist here (``selectors`` knows them); a rule with none left is dropped."""
    rules = []
    for allow in allows:
        present = [s for s in allow.sources if s in (ANYWHERE, INGRESS_CONTROLLER) or s in selectors]
        if not present:
            continue
        rule: dict[str, Any] = {}
        if ANYWHERE not in present:
            rule["from"] = [peer(s, selectors) for s in present]
        if allow.ports is not None:
            rule["ports"] = [{"protocol": "TCP", "port": p} for p in allow.ports]
        rules.append(rule)
    return rules


def default_deny(namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": {"name": "default-deny-ingress", "namespace": namespace, "labels": labels},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }


def allow_policy(
    namespace: str, workload: str, labels: dict[str, str], pod_selector: dict[str, str], rules: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "metadata": {"name": f"allow-{workload}", "namespace": namespace, "labels": labels},
        "spec": {"podSelector": {"matchLabels": pod_selector}, "policyTypes": ["Ingress"], "ingress": rules},
    }


def policies(
    namespace: str,
    labels: dict[str, str],
    flows: dict[str, list[Allow]],
    selectors: dict[str, dict[str, str]],
) -> list[dict[str, Any]]:
    """All policies of a namespace: ``flows`` maps each workload present (a key of ``selectors``) to what it
    accepts. A workload without an entry is an error: a new module must say who talks to it."""
    missing = sorted(set(selectors) - set(flows))
    if missing:
        raise ValueError(f"no flow description for workload(s) {missing}; add them where the flows are described")
    out = [default_deny(namespace, labels)]
    for workload in sorted(selectors):
        rules = ingress_rules(flows[workload], selectors)
        if rules:
            out.append(allow_policy(namespace, workload, labels, selectors[workload], rules))
    return out


def register(name: str, bodies: list[dict[str, Any]], opts: pulumi.ResourceOptions) -> None:
    """One NetworkPolicy resource per body, named ``<name>-netpol-<policy name>``."""
    for body in bodies:
        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol-{body['metadata']['name']}", metadata=body["metadata"], spec=body["spec"], opts=opts
        )
