"""Workload preparation under mocks: pod security by TKR, default StorageClass, containerd fstab DaemonSet."""

from __future__ import annotations

import base64

from components.tanzu import TanzuWorkloadCluster, TanzuWorkloadClusterArgs
from models.cluster import ClusterConfig

BASE = {
    "name": "fate-30000",
    "vsphereNamespace": "fate-party-30000",
    "tkrVersion": "v1.26.5---vmware.2-fips.1-tkg.1",
}
OLD_TKR = "v1.24.9---vmware.1-tkg.4"
CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
SC_PATCH = "kubernetes:storage.k8s.io/v1:StorageClassPatch"
DAEMONSET = "kubernetes:apps/v1:DaemonSet"
NAMESPACES = ["kube-fate", "fate-30000"]


def build(harness, data, namespaces=NAMESPACES):
    encoded = base64.b64encode(b"workload").decode()
    harness.mocks.reads["kubernetes:core/v1:Secret::fate-party-30000/fate-30000-kubeconfig"] = {
        "data": {"value": encoded}
    }
    cfg = ClusterConfig.model_validate(data)
    secrets = {"kubeconfig": "adopted"} if cfg.mode == "kubeconfig" else {"supervisor_kubeconfig": "sv"}
    return harness.run(
        lambda: TanzuWorkloadCluster("party", TanzuWorkloadClusterArgs(cfg, workload_namespaces=namespaces, **secrets))
    )


def on_workload_provider(resource) -> bool:
    return "::party-workload::" in (resource.provider or "")


def test_psp_binding_for_tkr_up_to_1_24(harness):
    cluster = build(harness, {**BASE, "tkrVersion": OLD_TKR})
    binding = harness.mocks.one(CRB)
    assert binding.inputs["roleRef"]["name"] == "psp:vmware-system-privileged"
    assert [s["name"] for s in binding.inputs["subjects"]] == [
        "system:serviceaccounts:fate-30000",
        "system:serviceaccounts:kube-fate",
    ]
    assert on_workload_provider(binding)
    assert binding.parent_type == "kubefate:index:WorkloadPreparation"
    assert cluster.namespace_labels == {}


def test_psa_labels_for_tkr_from_1_25_and_no_binding(harness):
    cluster = build(harness, BASE)
    assert harness.mocks.of_type(CRB) == []
    assert cluster.namespace_labels["pod-security.kubernetes.io/enforce"] == "privileged"
    # The component never creates the namespaces: their owners apply namespace_labels.
    assert harness.mocks.of_type("kubernetes:core/v1:Namespace") == []


def test_pod_security_none_labels_nothing(harness):
    cluster = build(harness, {**BASE, "tkrVersion": OLD_TKR, "preparation": {"podSecurity": "none"}})
    assert harness.mocks.of_type(CRB) == [] and cluster.namespace_labels == {}


def test_containerd_fstab_daemonset_when_asked(harness):
    build(harness, {**BASE, "preparation": {"containerdRemount": True, "remountImage": "reg.local/busybox:1"}})
    ds = harness.mocks.one(DAEMONSET)
    assert ds.k8s_namespace == "kube-system"
    assert ds.inputs["spec"]["template"]["spec"]["containers"][0]["image"] == "reg.local/busybox:1"
    assert on_workload_provider(ds)


def test_tanzu_mode_sets_default_class_in_spec_not_by_patch(harness):
    build(harness, BASE)
    assert harness.mocks.of_type(SC_PATCH) == []
    assert harness.mocks.of_type(DAEMONSET) == []


def test_adopt_mode_prepares_nothing_by_default(harness):
    cluster = build(harness, {"mode": "kubeconfig"})
    prepared = [r for r in harness.mocks.registered if r.typ.startswith("kubernetes:")]
    assert prepared == []
    assert harness.mocks.of_type("kubefate:index:WorkloadPreparation") == []
    assert cluster.namespace_labels["pod-security.kubernetes.io/enforce"] == "privileged"


def test_adopt_mode_default_storage_class_patch_when_asked(harness):
    build(
        harness,
        {
            "mode": "kubeconfig",
            "storageClass": "standard",
            "preparation": {"enabled": True, "defaultStorageClass": True},
        },
    )
    patch = harness.mocks.one(SC_PATCH)
    assert patch.inputs["metadata"] == {
        "name": "standard",
        "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
    }
    assert on_workload_provider(patch)
