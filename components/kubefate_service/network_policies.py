"""The kube-fate namespace's NetworkPolicies: default-deny ingress; KubeFATE's API only from the ingress
controller (operators reach it through its Ingress), its database only from KubeFATE."""

from __future__ import annotations

from typing import Any

from components.kubefate_service import manifests as m
from components.network_policy import INGRESS_CONTROLLER, Allow, policies

KUBEFATE_FLOWS: dict[str, list[Allow]] = {
    m.KUBEFATE: [Allow((m.PORT,), (INGRESS_CONTROLLER,))],
    m.MARIADB: [Allow((m.DB_PORT,), (m.KUBEFATE,))],
}


def kubefate_policies() -> list[dict[str, Any]]:
    selectors = {c: m.selector(c) for c in KUBEFATE_FLOWS}
    return policies(m.NAMESPACE, m.labels("network-policy"), KUBEFATE_FLOWS, selectors)
