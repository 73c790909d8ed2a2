"""The cluster both stacks start from: the stack's secrets handed to TanzuWorkloadCluster in one place."""

from __future__ import annotations

from components.tanzu import TanzuWorkloadCluster, TanzuWorkloadClusterArgs
from models.cluster import ClusterConfig
from models.config import StackSecrets


def workload_cluster(
    name: str, config: ClusterConfig, secrets: StackSecrets, namespaces: list[str]
) -> TanzuWorkloadCluster:
    return TanzuWorkloadCluster(
        name,
        TanzuWorkloadClusterArgs(
            config=config,
            kubeconfig=secrets.kubeconfig,
            supervisor_kubeconfig=secrets.supervisor_kubeconfig,
            vsphere_password=secrets.vsphere_password,
            workload_namespaces=namespaces,
        ),
    )
