"""TanzuWorkloadCluster: the one place a stack gets its workload cluster's kubeconfig and provider from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from components.tanzu.pod_security import psa_labels
from components.tanzu.preparation import WorkloadPreparation, WorkloadPreparationArgs
from components.tanzu.supervisor_cluster import SupervisorCluster, SupervisorClusterArgs
from components.tanzu.vsphere_namespace import VsphereNamespace, VsphereNamespaceArgs
from models.cluster import ClusterConfig, check_cluster_secrets
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
    path = Path(cfg.kubeconfig_path or "").expanduser()
    if not cfg.kubeconfig_path or not path.is_file():
        raise ConfigError(
            [
                problem(
                    "cluster.kubeconfigPath",
                    cfg.kubeconfig_path,
                    "no such file",
                    "point it at a readable kubeconfig or set the secret "
                    "`pulumi config set --secret kubeconfig < file`",
                )
            ]
        )
    return pulumi.Output.secret(path.read_text())


def _cluster_identifier(cfg: ClusterConfig) -> str | None:
    """A provisioned cluster keeps its identity when TKG rotates the admin kubeconfig's certificates, so every
    workload object is updated in place rather than replaced; an adopted cluster keeps the provider's own
    heuristic (a kubeconfig pointing elsewhere is another cluster)."""
    return f"tanzu/{cfg.vsphere_namespace}/{cfg.name}" if cfg.mode == "tanzu" else None


class TanzuWorkloadCluster(pulumi.ComponentResource):
    """Provisions (mode ``tanzu``) or adopts (mode ``kubeconfig``) the workload cluster.

    Downstream components only ever see ``provider``: they cannot tell an adopted cluster from a provisioned
    one, which is what lets local trials exercise the same stacks as the reference architecture. Anything
    that creates pods should also ``depends_on`` this component, so pod-security preparation lands first.
    """

    kubeconfig: pulumi.Output[str]
    provider: k8s.Provider
    namespace_labels: dict[str, str]
    cluster_name: pulumi.Output[str | None]
    vsphere_namespace: pulumi.Output[str | None]

    def __init__(self, name: str, args: TanzuWorkloadClusterArgs, opts: pulumi.ResourceOptions | None = None):
        cfg = args.config
        missing = check_cluster_secrets(
            cfg,
            has_kubeconfig=args.kubeconfig is not None,
            has_supervisor_kubeconfig=args.supervisor_kubeconfig is not None,
            has_vsphere_password=args.vsphere_password is not None,
        )
        if missing:
            raise ConfigError(missing)
        adopted = _adopted_kubeconfig(cfg, args.kubeconfig) if cfg.mode == "kubeconfig" else None
        super().__init__("kubefate:index:TanzuWorkloadCluster", name, None, opts)
        if adopted is not None:
            self.kubeconfig = adopted
            self.cluster_name = pulumi.Output.from_input(None)
            self.vsphere_namespace = pulumi.Output.from_input(None)
        else:
            self.kubeconfig, self.vsphere_namespace = self._provision(name, cfg, args)
            self.cluster_name = pulumi.Output.from_input(cfg.name)
        self.provider = k8s.Provider(
            f"{name}-workload",
            kubeconfig=self.kubeconfig,
            context=cfg.context if cfg.mode == "kubeconfig" else None,
            cluster_identifier=_cluster_identifier(cfg),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.namespace_labels = psa_labels() if cfg.pod_security_mode == "psa" else {}
        if cfg.prepare:
            WorkloadPreparation(
                f"{name}-prep",
                WorkloadPreparationArgs(cfg, self.provider, list(args.workload_namespaces)),
                pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(
            {
                "kubeconfig": self.kubeconfig,
                "provider": self.provider,
                "namespace_labels": self.namespace_labels,
                "cluster_name": self.cluster_name,
                "vsphere_namespace": self.vsphere_namespace,
            }
        )

    def _provision(
        self, name: str, cfg: ClusterConfig, args: TanzuWorkloadClusterArgs
    ) -> tuple[pulumi.Output[str], pulumi.Output[str | None]]:
        depends_on: list[pulumi.Resource] = []
        namespace_name = pulumi.Output.from_input(cfg.vsphere_namespace)
        # __init__ raised a ConfigError already when check_cluster_secrets found one of these missing.
        assert args.supervisor_kubeconfig is not None
        if cfg.vsphere.manage:
            assert args.vsphere_password is not None
            ns = VsphereNamespace(
                f"{name}-ns", VsphereNamespaceArgs(cfg, args.vsphere_password), pulumi.ResourceOptions(parent=self)
            )
            depends_on.append(ns)
            namespace_name = ns.namespace_name
        supervisor = SupervisorCluster(
            f"{name}-sv",
            SupervisorClusterArgs(cfg, args.supervisor_kubeconfig, depends_on),
            pulumi.ResourceOptions(parent=self),
        )
        return supervisor.kubeconfig, namespace_name
