"""nginx sub-part of the exchange: FATE's OpenResty proxy for control traffic, its nginx.conf, route table and
Service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.contracts import NginxEndpoint
from components.exchange import manifests, rollout, routes
from components.exchange.naming import NGINX_MODULE, labels, selector
from components.fate_cluster.render_nginx import render_exchange_nginx_conf
from components.provider_input import rendered
from models.exchange import NginxConfig


@dataclass
class ExchangeNginxArgs:
    config: NginxConfig
    namespace: pulumi.Input[str]
    party_id: int
    routes: pulumi.Output[Mapping[str, NginxEndpoint | None]]  # keyed by str(party id), sealed
    provider: k8s.Provider
    image_pull_secrets: list[str]


class ExchangeNginx(pulumi.ComponentResource):
    """Outputs: ``service`` (the k8s Service), ``route_table_yaml`` and ``nginx_conf``."""

    def __init__(self, name: str, args: ExchangeNginxArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubefate:index:ExchangeNginx", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        cfg = args.config
        lbl = labels(args.party_id, NGINX_MODULE)
        self.route_table_yaml: pulumi.Output[str] = args.routes.apply(routes.nginx_route_table_yaml)
        table = k8s.core.v1.ConfigMap(
            f"{name}-routes",
            metadata={"namespace": args.namespace, "labels": lbl},
            data={"route_table.yaml": self.route_table_yaml},
            opts=child,
        )
        # The exchange renders its own nginx.conf, as upstream's exchange chart does (upstream placeholders that
        # cannot lead back into this nginx: components/fate_cluster/render_nginx.py).
        self.nginx_conf = render_exchange_nginx_conf()
        conf = k8s.core.v1.ConfigMap(
            f"{name}-conf",
            metadata={"namespace": args.namespace, "labels": lbl},
            data={manifests.NGINX_CONF_KEY: self.nginx_conf},
            opts=child,
        )
        # nginx.conf is a subPath mount (never refreshed) and the Lua cache keeps removed parties: both files
        # are in the checksum, so a change to either replaces the pods.
        annotations = pulumi.Output.all(args.routes, self.route_table_yaml).apply(
            lambda v: rollout.pod_annotations(rollout.nginx_route_annotations(v[0]), v[1], self.nginx_conf)
        )
        sel = selector(args.party_id, NGINX_MODULE)
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata={"name": "nginx", "namespace": args.namespace, "labels": lbl},
            spec=rendered(
                {
                    "replicas": cfg.replicas,
                    "strategy": manifests.rolling_update(),
                    "selector": {"matchLabels": sel},
                    "template": {
                        "metadata": {"labels": lbl, "annotations": annotations},
                        "spec": manifests.nginx_pod_spec(
                            cfg, table.metadata.name, conf.metadata.name, args.image_pull_secrets
                        ),
                    },
                }
            ),
            opts=child,
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata={"name": "nginx", "namespace": args.namespace, "labels": lbl},
            spec=manifests.service_spec(
                cfg.type, sel, manifests.nginx_ports(cfg), cfg.load_balancer_ip, cfg.load_balancer_source_ranges
            ),
            opts=child,
        )
        self.register_outputs(
            {
                "routeTableYaml": self.route_table_yaml,
                "nginxConf": self.nginx_conf,
                "service": self.service.metadata.name,
            }
        )
