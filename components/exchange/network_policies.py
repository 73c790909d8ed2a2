"""The exchange namespace's NetworkPolicies: default-deny ingress, then each party's (and only their)
entry points: ATS's TLS listener and nginx's HTTP/gRPC listeners, reached through their LoadBalancers."""

from __future__ import annotations

from typing import Any

from components.exchange import ats_config as ats
from components.exchange.manifests import NGINX_CONTAINER_GRPC, NGINX_CONTAINER_HTTP
from components.exchange.naming import ATS_MODULE, NGINX_MODULE, RELEASE_NAME, labels, selector
from components.network_policy import ANYWHERE, Allow, policies

EXCHANGE_FLOWS: dict[str, list[Allow]] = {
    ATS_MODULE: [Allow((ats.CONTAINER_TLS_PORT,), (ANYWHERE,))],
    NGINX_MODULE: [Allow((NGINX_CONTAINER_HTTP, NGINX_CONTAINER_GRPC), (ANYWHERE,))],
}


def exchange_policies(namespace: str, party_id: int) -> list[dict[str, Any]]:
    selectors = {m: selector(party_id, m) for m in EXCHANGE_FLOWS}
    lbl = {**labels(party_id, "network-policy"), "name": RELEASE_NAME}
    return policies(namespace, lbl, EXCHANGE_FLOWS, selectors)
