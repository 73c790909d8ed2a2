"""TanzuWorkloadCluster: the one place a stack gets its workload cluster's kubeconfig and provider from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from models.cluster import ClusterConfig
from models.errors import ConfigError, problem


@dataclass
class TanzuWorkloadClusterArgs:
    config: ClusterConfig
    kubeconfig: pulumi.Input[str] | None = None
    supervisor_kubeconfig: pulumi.Input[str] | None = None
    vsphere_password: pulumi.Input[str] | None = None
    workload_namespaces: list[str] = field(default_factory=list)


def _adopted_kubeconfig(cfg: ClusterConfig, kubeconfig: pulumi.Input[str] | None) -> pulumi.Output[str]:
    """Secret content wins over a path; a path is read now so only its content (as a secret) reaches state."""
    if kubeconfig is not None:
        return pulumi.Output.secret(kubeconfig)
    if cfg.kubeconfig_path:
        path = Path(cfg.kubeconfig_path).expanduser()
        if not path.is_file():
            raise ConfigError([problem("cluster.kubeconfigPath", cfg.kubeconfig_path, "no such file",
                                       "point it at a readable kubeconfig or set the secret "
                                       "`pulumi config set --secret kubeconfig < file`")])
        return pulumi.Output.secret(path.read_text())
    raise ConfigError([problem("cluster.mode", cfg.mode, "adopt mode needs a kubeconfig",
                               "set the secret `kubeconfig` or `cluster.kubeconfigPath`")])


class TanzuWorkloadCluster(pulumi.ComponentResource):
    """Provisions (mode ``tanzu``) or adopts (mode ``kubeconfig``) the workload cluster.

    Downstream components only ever see ``provider``: they cannot tell an adopted cluster from a provisioned
    one, which is what lets local trials exercise the same stacks as the reference architecture.
    """

    kubeconfig: pulumi.Output[str]
    provider: k8s.Provider

    def __init__(self, name: str, args: TanzuWorkloadClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubefate:index:TanzuWorkloadCluster", name, None, opts)
        cfg = args.config
        if cfg.mode != "kubeconfig":
            raise ConfigError([problem("cluster.mode", cfg.mode, "not implemented yet",
                                       "use mode `kubeconfig` for now")])
        self.kubeconfig = _adopted_kubeconfig(cfg, args.kubeconfig)
        self.provider = k8s.Provider(
            f"{name}-workload",
            kubeconfig=self.kubeconfig,
            context=cfg.context,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"kubeconfig": self.kubeconfig, "provider": self.provider})
