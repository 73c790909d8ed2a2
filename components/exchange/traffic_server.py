"""ATS sub-part of the exchange: its config, certificate Secret, Deployment and Service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.contracts import PulsarEndpoint
from components.exchange import ats_config, manifests, rollout
from components.exchange.naming import ATS_CERT_SECRET, ATS_MODULE, labels, selector
from components.exchange.tls import IssuedCert
from components.provider_input import rendered
from models.exchange import TrafficServerConfig


@dataclass
class TrafficServerArgs:
    config: TrafficServerConfig
    namespace: pulumi.Input[str]
    party_id: int
    domain: str
    routes: pulumi.Output[Mapping[str, PulsarEndpoint | None]]  # keyed by str(party id), sealed
    cert: IssuedCert
    ca_cert_pem: pulumi.Output[str]
    provider: k8s.Provider
    image_pull_secrets: list[str]


class TrafficServer(pulumi.ComponentResource):
    """Outputs: ``service`` (the k8s Service) and ``sni_yaml`` (what is routed)."""

    def __init__(self, name: str, args: TrafficServerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubefate:index:TrafficServer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        lbl = labels(args.party_id, ATS_MODULE)
        records = args.routes.apply(ats_config.records_config)
        self.sni_yaml: pulumi.Output[str] = args.routes.apply(lambda r: ats_config.sni_yaml(args.domain, r))
        multicert = ats_config.ssl_multicert_config()

        config = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={"namespace": args.namespace, "labels": lbl},
            data={"records.config": records, "ssl_multicert.config": multicert},
            opts=child,
        )
        sni = k8s.core.v1.ConfigMap(
            f"{name}-sni",
            metadata={"namespace": args.namespace, "labels": lbl},
            data={"sni.yaml": self.sni_yaml},
            opts=child,
        )
        cert = k8s.core.v1.Secret(
            f"{name}-cert",
            metadata={"name": ATS_CERT_SECRET, "namespace": args.namespace, "labels": lbl},
            type="Opaque",
            string_data={
                ats_config.CERT_FILE: args.cert.cert_pem,
                ats_config.KEY_FILE: args.cert.key_pem,
                ats_config.CA_FILE: args.ca_cert_pem,
            },
            opts=child,
        )
        annotations = pulumi.Output.all(args.routes, records, self.sni_yaml, args.cert.cert_pem).apply(
            lambda v: rollout.pod_annotations(
                rollout.sni_route_annotations(args.domain, v[0]), v[1], multicert, v[2], v[3] or ""
            )
        )
        sel = selector(args.party_id, ATS_MODULE)
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata={"name": "traffic-server", "namespace": args.namespace, "labels": lbl},
            spec=rendered(
                {
                    "replicas": args.config.replicas,
                    "strategy": manifests.rolling_update(),
                    "selector": {"matchLabels": sel},
                    "template": {
                        "metadata": {"labels": lbl, "annotations": annotations},
                        "spec": manifests.ats_pod_spec(
                            args.config, config.metadata.name, sni.metadata.name, args.image_pull_secrets
                        ),
                    },
                }
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[cert]),
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata={"name": "traffic-server", "namespace": args.namespace, "labels": lbl},
            spec=manifests.service_spec(
                args.config.type,
                sel,
                manifests.ats_ports(args.config),
                args.config.load_balancer_ip,
                args.config.load_balancer_source_ranges,
            ),
            opts=child,
        )
        self.register_outputs({"sniYaml": self.sni_yaml, "service": self.service.metadata.name})
