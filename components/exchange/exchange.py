"""The federation hub: namespace, PKI, ATS (Pulsar over SNI) and nginx (control traffic) for every party."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_tls as tls

from components.contracts import ExchangeEndpoint
from components.exchange.advertise import advertised
from components.exchange.endpoints import membership
from components.exchange.naming import CLUSTER_KIND, RELEASE_NAME
from components.exchange.network_policies import exchange_policies
from components.exchange.proxy import ExchangeNginx, ExchangeNginxArgs
from components.exchange.tls import FederationPki, FederationPkiArgs
from components.exchange.traffic_server import TrafficServer, TrafficServerArgs
from components.labels import MANAGED_BY
from components.network_policy import register
from components.sealed import Sealed, sealed_output
from components.tanzu.pod_security import psa_labels
from models.exchange import ExchangeConfig


@dataclass
class ExchangeArgs:
    config: ExchangeConfig
    provider: k8s.Provider
    # Party id -> its endpoints (the PartyEndpoints shape) as read from its stack; a missing id or a None value
    # means "not deployed yet". Sealed or not: the component seals them (components/sealed.py).
    parties: Mapping[int, pulumi.Input[Mapping[str, Any] | None]] = field(default_factory=dict)
    # Party id -> its certificate request (PEM) as read from its stack, a plain value so the signature is
    # registered up front (components/exchange/tls.py); missing or None: not signed yet.
    requests: dict[int, str | None] = field(default_factory=dict)
    # Pod-security labels the cluster needs on workload namespaces (components/tanzu/pod_security.py).
    namespace_labels: dict[str, str] = field(default_factory=dict)
    tls_provider: tls.Provider | None = None


class Exchange(pulumi.ComponentResource):
    """Outputs: ``namespace``, ``endpoint`` (None until reachable), ``ca_cert``, ``party_certs`` (per party: the
    certificate signed for its request, None until there is one), ``federated_parties``, ``pending_parties``,
    ``nginx_route_table``, ``sni_routes``."""

    def __init__(self, name: str, args: ExchangeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubefate:index:Exchange", name, None, opts)
        cfg = args.config
        ids = [p.party_id for p in cfg.parties]
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": cfg.namespace,
                # baseline whatever the cluster's default: ATS and nginx need no more (components/hardening.py).
                "labels": {
                    **args.namespace_labels,
                    **psa_labels("baseline"),
                    "name": RELEASE_NAME,
                    "cluster": CLUSTER_KIND,
                    "app.kubernetes.io/managed-by": MANAGED_BY,
                },
            },
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider),
        )
        self.namespace: pulumi.Output[str] = ns.metadata.name
        register(
            name,
            exchange_policies(cfg.namespace, cfg.party_id),
            pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[ns]),
        )
        live = pulumi.Output.all(*[sealed_output(args.parties.get(p)) for p in ids]).apply(
            lambda values: Sealed({str(p): v for p, v in zip(ids, values, strict=True)})
        )
        pki = FederationPki(
            f"{name}-pki",
            FederationPkiArgs(cfg.domain, {p: args.requests.get(p) for p in ids}, cfg.certificates, args.tls_provider),
            pulumi.ResourceOptions(parent=self),
        )
        self.ca_cert: pulumi.Output[str] = pki.ca_cert_pem
        self.party_certs: dict[int, pulumi.Output[str | None]] = pki.party_certs
        # Keys are strings inside Outputs: the SDK lifts dict results into Output.all(**d), needing str keys.
        ats = TrafficServer(
            f"{name}-ats",
            TrafficServerArgs(
                config=cfg.traffic_server,
                namespace=self.namespace,
                party_id=cfg.party_id,
                domain=cfg.domain,
                routes=live.apply(lambda m: Sealed({p: (e or {}).get("pulsar") for p, e in m.items()})),
                cert=pki.ats,
                ca_cert_pem=pki.ca_cert_pem,
                provider=args.provider,
                image_pull_secrets=cfg.image_pull_secrets,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        nginx = ExchangeNginx(
            f"{name}-nginx",
            ExchangeNginxArgs(
                config=cfg.nginx,
                namespace=self.namespace,
                party_id=cfg.party_id,
                routes=live.apply(lambda m: Sealed({p: (e or {}).get("nginx") for p, e in m.items()})),
                provider=args.provider,
                image_pull_secrets=cfg.image_pull_secrets,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        signed = pulumi.Output.all(*[pki.party_certs[p] for p in ids]).apply(
            lambda certs: {str(p) for p, c in zip(ids, certs, strict=True) if c}
        )
        members = pulumi.Output.all(live, signed).apply(lambda v: membership(v[0], v[1]))
        self.federated_parties: pulumi.Output[list[int]] = members.apply(lambda m: m.federated)
        self.pending_parties: pulumi.Output[list[int]] = members.apply(lambda m: m.pending)
        self.nginx_route_table: pulumi.Output[str] = nginx.route_table_yaml
        self.sni_routes: pulumi.Output[str] = ats.sni_yaml
        self.endpoint: pulumi.Output[ExchangeEndpoint | None] = pulumi.Output.all(
            ats.service.status,
            nginx.service.status,
            self.namespace,
            nginx.service.spec.apply(lambda s: s.cluster_ip),
        ).apply(lambda v: _endpoint(cfg, v[0], v[1], v[2], v[3]))
        self.register_outputs(
            {
                "namespace": self.namespace,
                "endpoint": self.endpoint,
                "caCert": self.ca_cert,
                "federatedParties": self.federated_parties,
                "pendingParties": self.pending_parties,
            }
        )


def _ingress(status) -> list | None:
    """``status.loadBalancer.ingress``; Output.all hands typed outputs over as plain snake_case dicts."""
    if not isinstance(status, dict):
        return None
    balancer = status.get("load_balancer") or status.get("loadBalancer")
    return balancer.get("ingress") if isinstance(balancer, dict) else None


def _endpoint(
    cfg: ExchangeConfig, ats_status, nginx_status, namespace: str, nginx_cluster_ip: str | None
) -> ExchangeEndpoint | None:
    """A ClusterIP nginx is advertised by its cluster IP, not its DNS name: the parties' nginx dials it through
    FATE's balancer, which takes addresses only. The ATS is dialled by Pulsar, which resolves names."""
    ats, nginx = cfg.traffic_server, cfg.nginx
    ats_host, ats_port = advertised(
        ats.type,
        _ingress(ats_status),
        cfg.advertised_host,
        f"traffic-server.{namespace}.svc.cluster.local",
        ats.port,
        ats.node_port,
    )
    nginx_host, http_port = advertised(
        nginx.type,
        _ingress(nginx_status),
        cfg.advertised_host,
        nginx_cluster_ip,
        nginx.http_port,
        nginx.http_node_port,
    )
    grpc_port = nginx.grpc_node_port if nginx.type == "NodePort" and nginx.grpc_node_port else nginx.grpc_port
    if not ats_host or not nginx_host:
        return None
    return ExchangeEndpoint(
        host=nginx_host,
        nginxHttpPort=http_port,
        nginxGrpcPort=grpc_port,
        atsHost=ats_host,
        atsPort=ats_port,
        domain=cfg.domain,
    )
