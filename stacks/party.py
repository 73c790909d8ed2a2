"""The party stack: workload cluster -> KubeFATE service -> the party's FATE cluster, wired to the exchange.

Exports follow components/contracts.py (the exchange stack reads them) plus the KubeFATE URL and credentials
for operators (``pulumi stack output kubefateCredentials --show-secrets``). With an exchange, the party makes
its own Pulsar key here (PartyTls) and exports only its certificate request; the certificate comes back from
the exchange.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_tls as tls

from components import contracts
from components.contracts import ExchangeEndpoint
from components.fate_cluster import FateCluster, FateClusterArgs
from components.kubefate_service import KubeFateService, KubeFateServiceArgs
from components.party_tls import PartyTls, PartyTlsArgs
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


def _check_domain(endpoint: ExchangeEndpoint | None, domain: str) -> None:
    """The request names <partyId>.<exchange.domain>; the exchange refuses it under another domain."""
    if endpoint is not None and endpoint.get("domain") != domain:
        pulumi.log.warn(
            f"the exchange's domain is {endpoint.get('domain')!r} but this party's exchange.domain is {domain!r}: "
            f"the exchange will not sign this party's certificate request. Fix: set exchange.domain to "
            f"{endpoint.get('domain')!r} in this stack's config"
        )


def run_party(cfg: PartyConfig, secrets: StackSecrets) -> None:
    cluster = workload_cluster("cluster", cfg.cluster, secrets, cfg.workload_namespaces)
    # Pod-security preparation has to land before anything that creates pods.
    after_cluster = pulumi.ResourceOptions(depends_on=[cluster])
    kubefate = None
    if cfg.kubefate.enabled:
        kubefate = KubeFateService("kubefate", KubeFateServiceArgs(cfg.kubefate, cluster.provider), after_cluster)
    link = cfg.exchange
    exchange_stack = link.stack if link else None
    endpoint, bundle, csr = None, None, None
    if link is not None:
        endpoint, issued = read_exchange_for_party(link.stack, cfg.party_id)
        endpoint.apply(lambda e: _check_domain(e, link.domain))
        own = PartyTls(
            "pulsar-tls",
            PartyTlsArgs(cfg.party_id, link.domain, link.certificate, issued, tls.Provider("party-tls")),
        )
        bundle, csr = own.bundle, own.csr_pem
    fate = FateCluster(
        "fate",
        FateClusterArgs(spec=cfg.spec, provider=cluster.provider, exchange=endpoint, pulsar_tls=bundle),
        after_cluster,
    )

    pulumi.export(contracts.PARTY_ID, cfg.party_id)
    pulumi.export(contracts.NGINX_ENDPOINT, fate.nginx_endpoint)
    pulumi.export(contracts.PULSAR_ENDPOINT, fate.pulsar_endpoint)
    pulumi.export(contracts.PULSAR_CSR, csr)
    pulumi.export(contracts.FATEBOARD_URL, fate.fateboard_url)
    pulumi.export(contracts.NOTEBOOK_URL, fate.notebook_url)
    pulumi.export(NOTEBOOK_PASSWORD, fate.notebook_password)
    pulumi.export(
        contracts.FEDERATION_STATUS, fate.exchange_connected.apply(lambda c: federation_status(exchange_stack, bool(c)))
    )
    pulumi.export(FATE_NAMESPACE, fate.namespace)
    pulumi.export(KUBEFATE_URL, kubefate.url if kubefate else None)
    pulumi.export(KUBEFATE_CREDENTIALS, kubefate.credentials if kubefate else None)
