"""The Kubernetes cluster a stack runs on: a Tanzu Kubernetes cluster it provisions, or one it adopts."""

from components.tanzu.workload_cluster import TanzuWorkloadCluster, TanzuWorkloadClusterArgs

__all__ = ["TanzuWorkloadCluster", "TanzuWorkloadClusterArgs"]
