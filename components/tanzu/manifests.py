"""Pure renderers for the cluster object on the Supervisor: a TanzuKubernetesCluster or a CAPI Cluster.

Both carry the same intent (topology, TKR, storage, network, containerd volume); which one a site uses
depends on its vSphere release, so it is a config switch and the shape lives here, testable without Pulumi.
"""

from __future__ import annotations

from typing import Any

from models.cluster import ClusterConfig, NodePool

TKC_API_VERSION = "run.tanzu.vmware.com/v1alpha3"
TKC_KIND = "TanzuKubernetesCluster"
CAPI_API_VERSION = "cluster.x-k8s.io/v1beta1"
CAPI_KIND = "Cluster"
CAPI_CLASS = "tanzukubernetescluster"
CONTAINERD_MOUNT = "/var/lib/containerd"
KUBECONFIG_SECRET_KEY = "value"


def kubeconfig_secret_name(cluster_name: str) -> str:
    """TKG writes the admin kubeconfig of cluster X into Secret ``X-kubeconfig`` (CAPI convention)."""
    return f"{cluster_name}-kubeconfig"


def cluster_annotations(cfg: ClusterConfig) -> dict[str, str]:
    """Pulumi waits for the Ready condition; without it a custom resource counts as ready at once."""
    annotations = {"pulumi.com/waitFor": "condition=Ready"}
    if cfg.os_image:
        annotations["run.tanzu.vmware.com/resolve-os-image"] = f"os-name={cfg.os_image}"
    return annotations


def _metadata(cfg: ClusterConfig) -> dict[str, Any]:
    return {"name": cfg.name, "namespace": cfg.vsphere_namespace, "annotations": cluster_annotations(cfg)}


def containerd_volume(pool: NodePool) -> list[dict[str, Any]]:
    """Images fill the ~16 GB OS disk of a TKR node quickly; a separate volume holds containerd's data."""
    if pool.containerd_volume is None:
        return []
    capacity = {"storage": pool.containerd_volume}
    return [{"name": "containerd", "mountPath": CONTAINERD_MOUNT, "capacity": capacity}]


def render_tkc(cfg: ClusterConfig) -> dict[str, Any]:
    """A ``run.tanzu.vmware.com/v1alpha3`` TanzuKubernetesCluster."""
    tkr = {"reference": {"name": cfg.tkr.tkr_name}} if cfg.tkr else None
    control_plane: dict[str, Any] = {
        "replicas": cfg.control_plane.replicas,
        "vmClass": cfg.control_plane.vm_class,
        "storageClass": cfg.control_plane.storage_class or cfg.storage_class,
        "tkr": tkr,
    }
    pools = []
    for pool in cfg.node_pools:
        rendered: dict[str, Any] = {
            "name": pool.name,
            "replicas": pool.replicas,
            "vmClass": pool.vm_class,
            "storageClass": pool.storage_class or cfg.storage_class,
            "tkr": tkr,
        }
        if volumes := containerd_volume(pool):
            rendered["volumes"] = volumes
        if pool.failure_domain:
            rendered["failureDomain"] = pool.failure_domain
        if pool.labels:
            rendered["labels"] = dict(pool.labels)
        pools.append(rendered)
    net = cfg.network
    settings: dict[str, Any] = {
        "network": {
            "cni": {"name": net.cni},
            "pods": {"cidrBlocks": list(net.pods)},
            "services": {"cidrBlocks": list(net.services)},
            "serviceDomain": net.service_domain,
        },
    }
    if cfg.make_default_storage_class:
        settings["storage"] = {"defaultClass": cfg.storage_class}
    return {
        "apiVersion": TKC_API_VERSION,
        "kind": TKC_KIND,
        "metadata": _metadata(cfg),
        "spec": {"topology": {"controlPlane": control_plane, "nodePools": pools}, "settings": settings},
    }


def _pool_overrides(cfg: ClusterConfig, pool: NodePool) -> list[dict[str, Any]]:
    overrides: list[dict[str, Any]] = [{"name": "vmClass", "value": pool.vm_class}]
    if pool.storage_class and pool.storage_class != cfg.storage_class:
        overrides.append({"name": "storageClass", "value": pool.storage_class})
    if volumes := containerd_volume(pool):
        storage = pool.storage_class or cfg.storage_class
        value = [{**v, "storageClass": storage} for v in volumes]
        overrides.append({"name": "nodePoolVolumes", "value": value})
    if pool.labels:
        overrides.append(
            {"name": "nodePoolLabels", "value": [{"key": k, "value": v} for k, v in sorted(pool.labels.items())]}
        )
    return overrides


def render_capi_cluster(cfg: ClusterConfig) -> dict[str, Any]:
    """A ``cluster.x-k8s.io/v1beta1`` Cluster of ClusterClass ``tanzukubernetescluster`` (vSphere 8)."""
    deployments = []
    for pool in cfg.node_pools:
        md: dict[str, Any] = {
            "class": "node-pool",
            "name": pool.name,
            "replicas": pool.replicas,
            "variables": {"overrides": _pool_overrides(cfg, pool)},
        }
        if pool.failure_domain:
            md["failureDomain"] = pool.failure_domain
        deployments.append(md)
    variables: list[dict[str, Any]] = [
        {"name": "vmClass", "value": cfg.control_plane.vm_class},
        {"name": "storageClass", "value": cfg.control_plane.storage_class or cfg.storage_class},
    ]
    if cfg.make_default_storage_class:
        variables.append({"name": "defaultStorageClass", "value": cfg.storage_class})
    net = cfg.network
    return {
        "apiVersion": CAPI_API_VERSION,
        "kind": CAPI_KIND,
        "metadata": _metadata(cfg),
        "spec": {
            "clusterNetwork": {
                "pods": {"cidrBlocks": list(net.pods)},
                "services": {"cidrBlocks": list(net.services)},
                "serviceDomain": net.service_domain,
            },
            "topology": {
                "class": CAPI_CLASS,
                "version": cfg.tkr.semver if cfg.tkr else None,
                "controlPlane": {"replicas": cfg.control_plane.replicas},
                "workers": {"machineDeployments": deployments},
                "variables": variables,
            },
        },
    }


def render_cluster(cfg: ClusterConfig) -> dict[str, Any]:
    return render_capi_cluster(cfg) if cfg.api_flavor == "capi" else render_tkc(cfg)
