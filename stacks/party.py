"""The party stack: workload cluster -> KubeFATE service -> the party's FATE cluster, wired to the exchange.

Exports follow components/contracts.py (the exchange stack reads them) plus the KubeFATE URL and credentials
for operators (``pulumi stack output kubefateCredentials --show-secrets``).
"""

from __future__ import annotations

from typing import Any

import pulumi

from components import contracts
from components.fate_cluster import FateCluster, FateClusterArgs
from components.kubefate_service import KubeFateService, KubeFateServiceArgs
from models.config import StackSecrets
from models.party import PartyConfig
from stacks.cluster import workload_cluster
from stacks.federation_links import read_exchange_for_party

KUBEFATE_URL = "kubefateUrl"
KUBEFATE_CREDENTIALS = "kubefateCredentials"
FATE_NAMESPACE = "fateNamespace"
# Secret: the generated notebook login (`pulumi stack output --show-secrets notebookPassword`).
NOTEBOOK_PASSWORD = "notebookPassword"


def federation_status(exchange_stack: str | None, connected: bool) -> dict[str, Any]:
    """What ``pulumi stack output federation`` shows: standalone, waiting for the exchange, or federated."""
    if exchange_stack is None:
        return {"exchange": "none", "stack": None}
    return {"exchange": "connected" if connected else "pending", "stack": exchange_stack}


def run_party(cfg: PartyConfig, secrets: StackSecrets) -> None:
    cluster = workload_cluster("cluster", cfg.cluster, secrets, cfg.workload_namespaces)
    # Pod-security preparation has to land before anything that creates pods.
    after_cluster = pulumi.ResourceOptions(depends_on=[cluster])
    kubefate = None
    if cfg.kubefate.enabled:
        kubefate = KubeFateService("kubefate", KubeFateServiceArgs(cfg.kubefate, cluster.provider), after_cluster)
    exchange_stack = cfg.exchange.stack if cfg.exchange else None
    endpoint, tls = read_exchange_for_party(exchange_stack, cfg.party_id) if exchange_stack else (None, None)
    fate = FateCluster(
        "fate",
        FateClusterArgs(spec=cfg.spec, provider=cluster.provider, exchange=endpoint, pulsar_tls=tls),
        after_cluster,
    )

    pulumi.export(contracts.PARTY_ID, cfg.party_id)
    pulumi.export(contracts.NGINX_ENDPOINT, fate.nginx_endpoint)
    pulumi.export(contracts.PULSAR_ENDPOINT, fate.pulsar_endpoint)
    pulumi.export(contracts.FATEBOARD_URL, fate.fateboard_url)
    pulumi.export(contracts.NOTEBOOK_URL, fate.notebook_url)
    pulumi.export(NOTEBOOK_PASSWORD, fate.notebook_password)
    pulumi.export(
        contracts.FEDERATION_STATUS, fate.exchange_connected.apply(lambda c: federation_status(exchange_stack, bool(c)))
    )
    pulumi.export(FATE_NAMESPACE, fate.namespace)
    pulumi.export(KUBEFATE_URL, kubefate.url if kubefate else None)
    pulumi.export(KUBEFATE_CREDENTIALS, kubefate.credentials if kubefate else None)
