"""Pure renderers: TKC v1alpha3 and CAPI Cluster shapes, pod-security labels and binding, fstab DaemonSet."""

from __future__ import annotations

import subprocess

from components.tanzu.containerd_remount import remount_daemonset, remount_script
from components.tanzu.manifests import kubeconfig_secret_name, render_capi_cluster, render_cluster, render_tkc
from components.tanzu.pod_security import PSP_CLUSTER_ROLE, pod_security_labels, psp_binding, uses_psp
from models.cluster import ClusterConfig

BASE = {
    "name": "fate-30000",
    "vsphereNamespace": "fate-party-30000",
    "tkrVersion": "v1.26.5---vmware.2-fips.1-tkg.1",
}
CONTAINERD = {"name": "containerd", "mountPath": "/var/lib/containerd", "capacity": {"storage": "32Gi"}}


def cfg(**overrides) -> ClusterConfig:
    return ClusterConfig.model_validate({**BASE, **overrides})


def test_tkc_shape():
    m = render_tkc(
        cfg(
            controlPlane={"replicas": 3},
            osImage="ubuntu",
            nodePools=[
                {
                    "name": "workers",
                    "replicas": 2,
                    "vmClass": "guaranteed-2xlarge",
                    "failureDomain": "zone-a",
                    "labels": {"fate": "worker"},
                }
            ],
        )
    )
    assert (m["apiVersion"], m["kind"]) == ("run.tanzu.vmware.com/v1alpha3", "TanzuKubernetesCluster")
    assert m["metadata"] == {
        "name": "fate-30000",
        "namespace": "fate-party-30000",
        "annotations": {
            "pulumi.com/waitFor": "condition=Ready",
            "run.tanzu.vmware.com/resolve-os-image": "os-name=ubuntu",
        },
    }
    tkr = {"reference": {"name": "v1.26.5---vmware.2-fips.1-tkg.1"}}
    assert m["spec"]["topology"]["controlPlane"] == {
        "replicas": 3,
        "vmClass": "best-effort-small",
        "storageClass": "vsan-default-storage-policy",
        "tkr": tkr,
    }
    assert m["spec"]["topology"]["nodePools"] == [
        {
            "name": "workers",
            "replicas": 2,
            "vmClass": "guaranteed-2xlarge",
            "storageClass": "vsan-default-storage-policy",
            "tkr": tkr,
            "volumes": [CONTAINERD],
            "failureDomain": "zone-a",
            "labels": {"fate": "worker"},
        }
    ]
    assert m["spec"]["settings"] == {
        "network": {
            "cni": {"name": "antrea"},
            "pods": {"cidrBlocks": ["192.168.0.0/16"]},
            "services": {"cidrBlocks": ["10.96.0.0/12"]},
            "serviceDomain": "cluster.local",
        },
        "storage": {"defaultClass": "vsan-default-storage-policy"},
    }


def test_tkc_accepts_short_separator_and_renders_tkr_name():
    m = render_tkc(cfg(tkrVersion="v1.26.5+vmware.2-fips.1-tkg.1"))
    assert m["spec"]["topology"]["controlPlane"]["tkr"]["reference"]["name"] == "v1.26.5---vmware.2-fips.1-tkg.1"


def test_tkc_without_containerd_volume_or_default_class():
    m = render_tkc(cfg(nodePools=[{"containerdVolume": None}], preparation={"defaultStorageClass": False}))
    assert "volumes" not in m["spec"]["topology"]["nodePools"][0]
    assert "storage" not in m["spec"]["settings"]


def test_capi_shape():
    m = render_capi_cluster(
        cfg(
            apiFlavor="capi",
            network={"pods": ["10.244.0.0/16"], "serviceDomain": "fate.local"},
            nodePools=[
                {"name": "big", "vmClass": "guaranteed-4xlarge", "replicas": 2, "storageClass": "gold"},
                {"name": "small", "containerdVolume": "64Gi"},
            ],
        )
    )
    assert (m["apiVersion"], m["kind"]) == ("cluster.x-k8s.io/v1beta1", "Cluster")
    assert m["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Ready"}
    spec = m["spec"]
    assert spec["clusterNetwork"] == {
        "pods": {"cidrBlocks": ["10.244.0.0/16"]},
        "services": {"cidrBlocks": ["10.96.0.0/12"]},
        "serviceDomain": "fate.local",
    }
    topo = spec["topology"]
    assert topo["class"] == "tanzukubernetescluster"
    assert topo["version"] == "v1.26.5+vmware.2-fips.1-tkg.1"
    assert topo["controlPlane"] == {"replicas": 1}
    assert topo["variables"] == [
        {"name": "vmClass", "value": "best-effort-small"},
        {"name": "storageClass", "value": "vsan-default-storage-policy"},
        {"name": "defaultStorageClass", "value": "vsan-default-storage-policy"},
    ]
    big, small = topo["workers"]["machineDeployments"]
    assert (big["class"], big["name"], big["replicas"]) == ("node-pool", "big", 2)
    assert big["variables"]["overrides"] == [
        {"name": "vmClass", "value": "guaranteed-4xlarge"},
        {"name": "storageClass", "value": "gold"},
        {"name": "nodePoolVolumes", "value": [{**CONTAINERD, "storageClass": "gold"}]},
    ]
    assert small["variables"]["overrides"][-1]["value"][0]["capacity"] == {"storage": "64Gi"}


def test_render_cluster_switches_on_flavour():
    assert render_cluster(cfg())["kind"] == "TanzuKubernetesCluster"
    assert render_cluster(cfg(apiFlavor="capi"))["kind"] == "Cluster"


def test_kubeconfig_secret_name():
    assert kubeconfig_secret_name("fate-30000") == "fate-30000-kubeconfig"


def test_pod_security_by_tkr_version():
    assert uses_psp("v1.24.9---vmware.1-tkg.4") and uses_psp("v1.23.8+vmware.3-tkg.1")
    assert not uses_psp("v1.25.7---vmware.3-fips.1-tkg.1") and not uses_psp(None)
    assert pod_security_labels("v1.24.9---vmware.1-tkg.4") == {}
    labels = pod_security_labels("v1.26.5---vmware.2-fips.1-tkg.1")
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert labels["pod-security.kubernetes.io/enforce-version"] == "latest"
    assert labels["pod-security.kubernetes.io/warn"] == labels["pod-security.kubernetes.io/audit"] == "privileged"
    assert pod_security_labels(None) == labels


def test_psp_binding_covers_service_accounts_of_each_namespace():
    body = psp_binding("party-prep-psp-privileged", ["fate-30000", "kube-fate", "fate-30000"])
    assert body["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": PSP_CLUSTER_ROLE,
    }
    assert [s["name"] for s in body["subjects"]] == [
        "system:serviceaccounts:fate-30000",
        "system:serviceaccounts:kube-fate",
    ]
    assert {s["kind"] for s in body["subjects"]} == {"Group"}


def test_remount_daemonset_and_script():
    ds = remount_daemonset("party-containerd-fstab", "registry.local/busybox:1.36")
    pod = ds["spec"]["template"]["spec"]
    assert ds["metadata"]["namespace"] == "kube-system"
    assert pod["hostPID"] is True and pod["tolerations"] == [{"operator": "Exists"}]
    container = pod["containers"][0]
    assert container["image"] == "registry.local/busybox:1.36"
    assert container["securityContext"] == {"privileged": True}
    assert ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items()
    script = remount_script()
    assert "nsenter -t 1 -m" in script and "/etc/fstab" in script and "nofail" in script
    assert subprocess.run(["sh", "-n", "-c", script], check=False).returncode == 0
