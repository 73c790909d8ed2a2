"""What every module builder needs: the spec, naming, the parent and provider, and the workload helpers.

Builders are functions rather than sub-components so that every object sits directly under the FateCluster
(one URN level, same as KubeFATE's flat release) while each module's code stays in its own small file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from components.fate_cluster import objects
from components.fate_cluster.checksum import ANNOTATION, config_checksum
from components.provider_input import ProviderInput
from models.fate import FateSpec

if TYPE_CHECKING:
    from components.fate_cluster.mysql_tls import MysqlTls

CREDENTIALS_SECRET = "fate-credentials"
NOTEBOOK_HASH_KEY = "notebook-hashed-password"


@dataclass
class Wiring:
    """What builders take from outside their module: the exchange and other parties, the route table the
    component renders from them, and the TLS material of the party's MySQL and Pulsar."""

    exchange: pulumi.Output[Any]
    route_parties: pulumi.Output[Any]
    pulsar_routes: pulumi.Output[str] | None = None
    """None unless the party federates through Pulsar."""
    pulsar_tls: pulumi.Output[Any] | None = None
    """None: the party has no exchange, so no certificate bundle can ever arrive."""
    mysql_tls: MysqlTls | None = None
    """Issued by the FateCluster (its Secret needs the context) before any module is built."""

    def mysql(self) -> MysqlTls:
        if self.mysql_tls is None:
            raise RuntimeError("the party's MySQL TLS material is issued before the modules are built")
        return self.mysql_tls


@dataclass
class BuildContext:
    """Every builder is ``build(ctx)``: the FateCluster calls the builder each deployed module's definition
    names (models/modules/), in the registry's order."""

    spec: FateSpec
    name: str
    parent: pulumi.Resource
    provider: k8s.Provider
    namespace: k8s.core.v1.Namespace
    wiring: Wiring
    services: dict[str, k8s.core.v1.Service] = field(default_factory=dict)
    modules: list[str] = field(default_factory=list)
    """Module label of every workload rendered, in order: the NetworkPolicies are generated for exactly these."""

    def opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        depends_on = [self.namespace, *kwargs.pop("depends_on", [])]
        return pulumi.ResourceOptions(parent=self.parent, provider=self.provider, depends_on=depends_on, **kwargs)

    def rname(self, kind: str, k8s_name: str) -> str:
        return f"{self.name}-{kind}-{k8s_name}"

    def config_map(self, k8s_name: str, module: str, data: pulumi.Input[dict[str, str]]) -> k8s.core.v1.ConfigMap:
        return k8s.core.v1.ConfigMap(
            self.rname("cm", k8s_name),
            metadata=objects.metadata(self.spec, k8s_name, module),
            data=data,
            opts=self.opts(),
        )

    def service(self, k8s_name: str, module: str, body: ProviderInput) -> k8s.core.v1.Service:
        svc = k8s.core.v1.Service(
            self.rname("svc", k8s_name),
            metadata=objects.metadata(self.spec, k8s_name, module),
            spec=body,
            opts=self.opts(),
        )
        self.services[k8s_name] = svc
        return svc

    def workload(
        self,
        kind: str,
        k8s_name: str,
        module: str,
        pod: pulumi.Input[dict[str, Any]],
        files: pulumi.Input[dict[str, str]],
        replicas: int = 1,
        service_name: str | None = None,
        claim_templates: list[dict[str, Any]] | None = None,
        depends_on: list[pulumi.Resource] | None = None,
    ) -> pulumi.CustomResource:
        """A Deployment or StatefulSet whose pod template carries the checksum of the files it reads."""
        spec = self.spec
        self.modules.append(module)

        def template(args: list[Any]) -> dict[str, Any]:
            pod_body, rendered = args
            return {
                "metadata": {
                    "labels": objects.labels(spec, module),
                    "annotations": {ANNOTATION: config_checksum(rendered)},
                },
                "spec": pod_body,
            }

        body: ProviderInput = {
            "replicas": replicas,
            "selector": {"matchLabels": objects.selector(spec, module)},
            "template": pulumi.Output.all(pod, files).apply(template),
        }
        metadata = objects.metadata(spec, k8s_name, module)
        opts = self.opts(depends_on=depends_on or [])
        if kind == "StatefulSet":
            body["serviceName"] = service_name or k8s_name
            if claim_templates:
                body["volumeClaimTemplates"] = claim_templates
                keep = spec.keep_volumes_on_destroy
                body["persistentVolumeClaimRetentionPolicy"] = {
                    "whenDeleted": "Retain" if keep else "Delete",
                    "whenScaled": "Retain",
                }
            return k8s.apps.v1.StatefulSet(self.rname("sts", k8s_name), metadata=metadata, spec=body, opts=opts)
        body["strategy"] = {"type": "Recreate"} if module in ("fateboard",) else {"type": "RollingUpdate"}
        return k8s.apps.v1.Deployment(self.rname("deploy", k8s_name), metadata=metadata, spec=body, opts=opts)
