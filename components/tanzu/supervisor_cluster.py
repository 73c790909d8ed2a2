"""The cluster object on the Supervisor, and the admin kubeconfig TKG writes for it.

The kubeconfig Secret is read with an id derived from the cluster resource's id: on a first preview that id
is unknown, so the engine skips the read instead of failing on a Secret that doesn't exist yet.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.tanzu.manifests import KUBECONFIG_SECRET_KEY, kubeconfig_secret_name, render_cluster
from models.cluster import ClusterConfig


@dataclass
class SupervisorClusterArgs:
    config: ClusterConfig
    supervisor_kubeconfig: pulumi.Input[str]
    depends_on: list[pulumi.Resource] = field(default_factory=list)


def decode_kubeconfig(data: dict[str, Any] | None, secret_id: str) -> str:
    """Refuse rather than hand back nothing: a provider without a kubeconfig falls back to ~/.kube/config."""
    encoded = (data or {}).get(KUBECONFIG_SECRET_KEY)
    if not encoded:
        raise ValueError(
            f"Secret {secret_id} on the Supervisor has no data key {KUBECONFIG_SECRET_KEY!r}; "
            "is the cluster Ready? Check `kubectl get tkc,cluster -n <vSphere Namespace>`"
        )
    return base64.b64decode(encoded).decode()


def custom_timeouts(cfg: ClusterConfig) -> pulumi.CustomTimeouts:
    """customTimeouts win over annotations; the provider's 10-minute default is far too short for a TKC."""
    t = cfg.timeouts
    return pulumi.CustomTimeouts(create=t.create, update=t.update, delete=t.delete)


class SupervisorCluster(pulumi.ComponentResource):
    kubeconfig: pulumi.Output[str]
    cluster: k8s.apiextensions.CustomResource
    supervisor_provider: k8s.Provider

    def __init__(self, name: str, args: SupervisorClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubefate:index:SupervisorCluster", name, None, opts)
        cfg = args.config
        self.supervisor_provider = k8s.Provider(
            f"{name}-supervisor",
            kubeconfig=pulumi.Output.secret(args.supervisor_kubeconfig),
            context=cfg.supervisor_context,
            # Supervisor tokens rotate (10 h with `kubectl vsphere login`): a new token updates the provider,
            # never replace it, or the replacement would take the cluster object with it.
            cluster_identifier=f"supervisor/{cfg.vsphere_namespace}",
            opts=pulumi.ResourceOptions(parent=self),
        )
        manifest = render_cluster(cfg)
        self.cluster = k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=self.supervisor_provider,
                custom_timeouts=custom_timeouts(cfg),
                depends_on=args.depends_on,
            ),
        )
        namespace, cluster_name = manifest["metadata"]["namespace"], manifest["metadata"]["name"]
        secret_id = self.cluster.id.apply(lambda _: f"{namespace}/{kubeconfig_secret_name(cluster_name)}")
        secret = k8s.core.v1.Secret.get(
            f"{name}-kubeconfig",
            secret_id,
            opts=pulumi.ResourceOptions(parent=self, provider=self.supervisor_provider, depends_on=[self.cluster]),
        )
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(secret.data, secret_id).apply(lambda a: decode_kubeconfig(a[0], a[1]))
        )
        self.register_outputs({"kubeconfig": self.kubeconfig})
