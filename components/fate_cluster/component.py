"""FateCluster: one party's FATE cluster (chart fate v2.0.0 topology) in its own namespace.

Differences to ``kubefate cluster install`` that matter to operators: the namespace is created here (KubeFATE
never did); passwords are generated and live only in the ``fate-credentials`` Secret; config changes roll the
pods through a checksum annotation; with ``keepVolumesOnDestroy`` (default) and persistence on, ``pulumi
destroy`` keeps the namespace, and with it the data volumes, because deleting a namespace deletes its PVCs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.contracts import ExchangeEndpoint, PulsarTls
from components.fate_cluster import mysql_tls
from components.fate_cluster import objects as o
from components.fate_cluster.context import CREDENTIALS_SECRET, NOTEBOOK_HASH_KEY, BuildContext, Wiring
from components.fate_cluster.dispatch import build_modules
from components.fate_cluster.ingress import build_ingresses, ingress_url
from components.fate_cluster.modules_federation import PULSAR_PUBLIC
from components.fate_cluster.network_policies import build_network_policies
from components.fate_cluster.notebook_auth import generated_login
from components.fate_cluster.outputs import lb_endpoint, nginx_endpoint_of, pulsar_endpoint_of
from components.fate_cluster.render_fateflow import mysql_settings
from components.fate_cluster.render_routes import render_pulsar_route_table
from components.labels import kubefate_labels
from components.tanzu.pod_security import psa_labels
from models import modules
from models.engines import Federation
from models.fate import FateSpec

TYPE = "kubefate:index:FateCluster"


@dataclass
class FateClusterArgs:
    spec: FateSpec
    provider: k8s.Provider
    exchange: pulumi.Input[ExchangeEndpoint | None] = None
    pulsar_tls: pulumi.Input[PulsarTls | None] = None
    """None: the party has no exchange. Any other value (an Output that may resolve to None) means it has one,
    so the ``pulsar-cert`` Secret is registered and filled once the exchange has issued the bundle."""
    route_parties: pulumi.Input[dict[str, dict[str, Any]] | None] = None
    """Direct routes to other parties, keyed by party id (string or int):
    ``{partyId: {"nginx": NginxEndpoint | None, "pulsar": PulsarEndpoint | None}}``."""


def namespace_labels(spec: FateSpec) -> dict[str, str]:
    """Pod Security Admission ``baseline``: FATE's images run as root, nothing needs more (the SYS_NICE and
    SYS_PTRACE capabilities upstream added only silence warnings / enable debuggers)."""
    return {
        **kubefate_labels(spec.cluster_name, spec.party_id, "namespace", version=spec.fate_version),
        **psa_labels("baseline"),
    }


def _string_keys(value: Any) -> Any:
    """Pulumi inputs are JSON-like (string keys); a plain dict keyed by int party ids is converted."""
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


class FateCluster(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    nginx_endpoint: pulumi.Output[Any]
    pulsar_endpoint: pulumi.Output[Any]
    fateboard_url: pulumi.Output[str]
    notebook_url: pulumi.Output[str | None]
    exchange_connected: pulumi.Output[bool]
    notebook_password: pulumi.Output[str | None]
    """Secret; None when the notebook is left out or its hashed password was given in the config."""

    def __init__(self, name: str, args: FateClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        spec = args.spec
        self.notebook_password = pulumi.Output.secret(None)
        keep = spec.persistence and spec.keep_volumes_on_destroy
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": spec.namespace, "labels": namespace_labels(spec)},
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, retain_on_delete=keep),
        )
        exchange = pulumi.Output.from_input(args.exchange)
        routes = pulumi.Output.from_input(_string_keys(args.route_parties))
        pulsar_routes = None
        if spec.federation == Federation.PULSAR:
            pulsar_routes = pulumi.Output.all(exchange, routes).apply(
                lambda a: render_pulsar_route_table(spec, a[0], a[1])
            )
        wiring = Wiring(
            exchange=exchange,
            route_parties=routes,
            pulsar_routes=pulsar_routes,
            pulsar_tls=None if args.pulsar_tls is None else pulumi.Output.from_input(args.pulsar_tls),
        )
        ctx = BuildContext(spec=spec, name=name, parent=self, provider=args.provider, namespace=ns, wiring=wiring)
        self._credentials(ctx)
        wiring.mysql_tls = self._mysql_tls(ctx)
        build_modules(ctx)
        build_ingresses(ctx)
        build_network_policies(ctx)

        self.namespace = ns.metadata.apply(lambda m: str(m.name))
        self.nginx_endpoint = lb_endpoint(spec, ctx.services.get("nginx"), "nginx", nginx_endpoint_of)
        self.pulsar_endpoint = lb_endpoint(spec, ctx.services.get(PULSAR_PUBLIC), "pulsar", pulsar_endpoint_of)
        self.fateboard_url = pulumi.Output.from_input(ingress_url(spec, "fateboard"))
        self.notebook_url = pulumi.Output.from_input(ingress_url(spec, "client") if spec.has("client") else None)
        self.exchange_connected = exchange.apply(lambda e: e is not None)
        self.register_outputs(
            {
                "namespace": self.namespace,
                "nginx_endpoint": self.nginx_endpoint,
                "pulsar_endpoint": self.pulsar_endpoint,
                "fateboard_url": self.fateboard_url,
                "notebook_url": self.notebook_url,
                "exchange_connected": self.exchange_connected,
                "notebook_password": self.notebook_password,
            }
        )

    def _mysql_tls(self, ctx: BuildContext) -> mysql_tls.MysqlTls:
        """The party's MySQL CA and server certificate (components/fate_cluster/mysql_tls.py), in Secret
        ``mysql-tls``: mysqld serves TLS with them and fateflow verifies the server against the CA."""
        issued = mysql_tls.issue(ctx.name, ctx.spec, mysql_settings(ctx.spec)["host"], self)
        k8s.core.v1.Secret(
            ctx.rname("secret", mysql_tls.MYSQL_TLS_SECRET),
            metadata=o.metadata(ctx.spec, mysql_tls.MYSQL_TLS_SECRET, "mysql"),
            type="Opaque",
            string_data=pulumi.Output.secret(
                {
                    mysql_tls.CA_KEY: issued.ca_pem,
                    mysql_tls.CERT_KEY: issued.cert_pem,
                    mysql_tls.KEY_KEY: issued.key_pem,
                }
            ),
            opts=ctx.opts(),
        )
        return issued

    def _credentials(self, ctx: BuildContext) -> None:
        """Alphanumeric passwords: they are substituted into config files with sed and embedded in JDBC URLs,
        where special characters would need escaping; 32 characters of [A-Za-z0-9] are ~190 bits."""
        spec = ctx.spec
        keys = [key for module in modules.MODULES if spec.has(module.name) for key in module.secrets]
        data: dict[str, Any] = {}
        for key in keys:
            pw = random.RandomPassword(
                f"{ctx.name}-{key}",
                length=32,
                special=False,
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["result"]),
            )
            data[key] = pw.result
        if spec.has("client"):
            given = spec.client.notebook_hashed_password if spec.client else None
            if given:
                data[NOTEBOOK_HASH_KEY] = given
            else:
                password, data[NOTEBOOK_HASH_KEY] = generated_login(ctx.name, self)
                self.notebook_password = password
        k8s.core.v1.Secret(
            ctx.rname("secret", CREDENTIALS_SECRET),
            metadata=o.metadata(spec, CREDENTIALS_SECRET, "credentials"),
            type="Opaque",
            string_data=pulumi.Output.secret(data),
            opts=ctx.opts(),
        )
