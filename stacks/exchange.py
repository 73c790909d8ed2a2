"""The exchange stack: its cluster, then the Exchange wired to every party stack's live endpoints and
certificate requests.

Exports are the wire contract of components/contracts.py. Each party's certificate is its own output
(``pulsarCert<partyId>``, public like every certificate; the party's key never reaches this stack); the route
tables are exported in plain text (addresses only) so ``pulumi stack output`` shows what is routed without
opening the cluster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_kubernetes as k8s
import pulumi_tls as tls

from components import contracts
from components.exchange import Exchange, ExchangeArgs
from models.exchange import ExchangeConfig, ExchangeStackConfig
from stacks.cluster import workload_cluster
from stacks.federation_links import read_parties

if TYPE_CHECKING:
    from models.config import StackSecrets


def deploy_exchange(
    cfg: ExchangeConfig,
    provider: k8s.Provider,
    namespace_labels: dict[str, str] | None = None,
    depends_on: list[pulumi.Resource] | None = None,
) -> Exchange:
    """Everything after the cluster exists; exports the federation's outputs."""
    parties = read_parties(cfg.party_stacks)
    exchange = Exchange(
        "exchange",
        ExchangeArgs(
            config=cfg,
            provider=provider,
            parties={p: view.endpoints for p, view in parties.items()},
            requests={p: view.request for p, view in parties.items()},
            namespace_labels=namespace_labels or {},
            tls_provider=tls.Provider("federation-tls"),
        ),
        pulumi.ResourceOptions(depends_on=depends_on or []),
    )
    pulumi.export(contracts.EXCHANGE_ENDPOINT, exchange.endpoint)
    pulumi.export(contracts.CA_CERT, exchange.ca_cert)
    pulumi.export(contracts.FEDERATED_PARTIES, exchange.federated_parties)
    pulumi.export(contracts.PENDING_PARTIES, exchange.pending_parties)
    pulumi.export("nginxRouteTable", exchange.nginx_route_table)
    pulumi.export("sniRoutes", exchange.sni_routes)
    for party_id, cert in exchange.party_certs.items():
        pulumi.export(contracts.party_cert_output(party_id), cert)
    exchange.pending_parties.apply(_report_pending)
    return exchange


def _report_pending(pending: list[int]) -> None:
    if pending:
        pulumi.log.info(
            f"parties pending federation (no endpoints or no certificate request yet): {pending}; deploy "
            "them, then run this stack again (python -m federation up does both)"
        )


def run_exchange(cfg: ExchangeStackConfig, secrets: StackSecrets) -> None:
    cluster = workload_cluster("exchange-cluster", cfg.cluster, secrets, [cfg.exchange.namespace])
    # depends_on the cluster component: its pod-security preparation must land before any exchange pod.
    deploy_exchange(cfg.exchange, cluster.provider, cluster.namespace_labels, depends_on=[cluster])
