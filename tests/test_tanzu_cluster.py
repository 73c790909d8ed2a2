"""TanzuWorkloadCluster in mode ``tanzu`` under mocks: Supervisor side, kubeconfig chain, vSphere side."""

from __future__ import annotations

import base64

import pulumi
import pytest
from pulumi.runtime import rpc

from components.tanzu import TanzuWorkloadCluster, TanzuWorkloadClusterArgs
from components.tanzu.manifests import CAPI_API_VERSION, TKC_API_VERSION
from models.cluster import ClusterConfig
from models.errors import ConfigError
from tests.test_tanzu_support import PROVIDER, capture_register_requests, is_secret_input, unwrap

TKC = f"kubernetes:{TKC_API_VERSION}:TanzuKubernetesCluster"
CAPI = f"kubernetes:{CAPI_API_VERSION}:Cluster"
SECRET = "kubernetes:core/v1:Secret"
GET_POLICY = "vsphere:index/getPolicy:getPolicy"
GET_LIBRARY = "vsphere:index/getContentLibrary:getContentLibrary"
VSAN_POLICY_ID = "aa6d5a82-1c88-45da-85d3-3d74b91a5bad"
WORKLOAD_KUBECONFIG = "apiVersion: v1\nkind: Config\n# workload\n"
BASE = {"name": "fate-30000", "vsphereNamespace": "fate-party-30000", "tkrVersion": "v1.26.5---vmware.2-fips.1-tkg.1"}
MANAGED = {
    **BASE,
    "vmClasses": ["best-effort-small", "guaranteed-2xlarge"],
    "nodePools": [{"name": "workers", "vmClass": "guaranteed-fate"}],
    "vsphere": {
        "manage": True,
        "server": "vc.example.org",
        "user": "administrator@vsphere.local",
        "supervisorId": "sv-42",
        "storagePolicies": ["vSAN Default Storage Policy"],
        "contentLibraries": ["tkr-library"],
        "customVmClasses": [{"name": "guaranteed-fate", "cpus": 8, "memoryMiB": 65536}],
    },
}


def answer_kubeconfig_read(harness, namespace="fate-party-30000", cluster="fate-30000"):
    encoded = base64.b64encode(WORKLOAD_KUBECONFIG.encode()).decode()
    harness.mocks.reads[f"{SECRET}::{namespace}/{cluster}-kubeconfig"] = {"data": {"value": encoded}}


def answer_vsphere(harness):
    policies = {"vSAN Default Storage Policy": VSAN_POLICY_ID}
    harness.mocks.invokes[GET_POLICY] = lambda a: {"id": policies[a["name"]], "name": a["name"]}
    harness.mocks.invokes[GET_LIBRARY] = lambda a: {"id": f"lib-{a['name']}", "name": a["name"]}


def build(harness, data, namespaces=("kube-fate", "fate-30000"), **secrets):
    cfg = ClusterConfig.model_validate(data)
    secrets.setdefault("supervisor_kubeconfig", "SUPERVISOR-KUBECONFIG")
    return harness.run(
        lambda: TanzuWorkloadCluster(
            "party", TanzuWorkloadClusterArgs(cfg, workload_namespaces=list(namespaces), **secrets)
        )
    )


def timeouts_of(requests, name="party-sv-cluster"):
    t = requests[name].customTimeouts
    return t.create, t.update, t.delete


def test_tkc_registered_on_supervisor_with_wait_and_timeouts(harness, monkeypatch):
    requests = capture_register_requests(monkeypatch)
    answer_kubeconfig_read(harness)
    build(harness, BASE)
    tkc = harness.mocks.one(TKC)
    assert tkc.k8s_name == "fate-30000" and tkc.k8s_namespace == "fate-party-30000"
    assert tkc.inputs["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Ready"
    pools = tkc.inputs["spec"]["topology"]["nodePools"]
    assert pools[0]["volumes"] == [
        {"name": "containerd", "mountPath": "/var/lib/containerd", "capacity": {"storage": "32Gi"}}
    ]
    supervisor = harness.mocks.one(PROVIDER, "party-sv-supervisor")
    assert tkc.provider.split("::")[-2].endswith("party-sv-supervisor")
    assert is_secret_input(supervisor.inputs["kubeconfig"])
    assert unwrap(supervisor.inputs["kubeconfig"]) == "SUPERVISOR-KUBECONFIG"
    assert harness.mocks.of_type(CAPI) == []
    assert timeouts_of(requests) == ("60m", "60m", "30m")


def test_capi_flavour_and_custom_timeouts(harness, monkeypatch):
    requests = capture_register_requests(monkeypatch)
    answer_kubeconfig_read(harness)
    build(harness, {**BASE, "apiFlavor": "capi", "timeouts": {"create": "90m", "update": "2h"}})
    capi = harness.mocks.one(CAPI)
    topology = capi.inputs["spec"]["topology"]
    assert topology["class"] == "tanzukubernetescluster"
    assert topology["version"] == "v1.26.5+vmware.2-fips.1-tkg.1"
    assert capi.inputs["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Ready"
    assert harness.mocks.of_type(TKC) == []
    assert timeouts_of(requests) == ("90m", "2h", "30m")


def test_kubeconfig_secret_read_and_workload_provider(harness):
    answer_kubeconfig_read(harness)
    cluster = build(harness, BASE)
    read = harness.mocks.one(SECRET)
    assert read.resource_id == "fate-party-30000/fate-30000-kubeconfig"
    assert read.provider.split("::")[-2].endswith("party-sv-supervisor")
    workload = harness.mocks.one(PROVIDER, "party-workload")
    assert is_secret_input(workload.inputs["kubeconfig"])
    assert unwrap(workload.inputs["kubeconfig"]) == WORKLOAD_KUBECONFIG
    assert harness.is_secret(cluster.kubeconfig)
    assert harness.value(cluster.kubeconfig) == WORKLOAD_KUBECONFIG
    assert workload.inputs["clusterIdentifier"] == "tanzu/fate-party-30000/fate-30000"
    assert (
        harness.mocks.one(PROVIDER, "party-sv-supervisor").inputs["clusterIdentifier"] == "supervisor/fate-party-30000"
    )
    assert harness.value(cluster.cluster_name) == "fate-30000"
    assert harness.value(cluster.vsphere_namespace) == "fate-party-30000"


def test_first_preview_skips_the_read_and_keeps_kubeconfig_unknown_and_secret(harness):
    """In a first preview the provider returns no id for a create; the Secret read must then be skipped."""
    harness.preview = True
    record = harness.mocks.new_resource

    def no_id_for_creates(args):
        resource_id, state = record(args)
        return ("" if args.typ == TKC else resource_id), state

    harness.mocks.new_resource = no_id_for_creates
    cluster = build(harness, BASE)
    # The read goes out with the unknown id, which the engine skips (pulumi#1124) instead of failing.
    assert harness.mocks.one(SECRET).resource_id == rpc.UNKNOWN
    assert harness.value(cluster.kubeconfig) is None
    assert harness.is_secret(cluster.kubeconfig)
    workload = harness.mocks.one(PROVIDER, "party-workload")
    assert is_secret_input(workload.inputs["kubeconfig"])
    assert isinstance(unwrap(workload.inputs["kubeconfig"]), pulumi.output.Unknown)


def test_missing_kubeconfig_key_fails_instead_of_falling_back(harness):
    harness.mocks.reads[f"{SECRET}::fate-party-30000/fate-30000-kubeconfig"] = {"data": {}}
    with pytest.raises(Exception, match="no data key 'value'"):
        cluster = build(harness, BASE)
        harness.value(cluster.kubeconfig)


def test_managed_vsphere_namespace(harness):
    answer_kubeconfig_read(harness)
    answer_vsphere(harness)
    build(harness, MANAGED, vsphere_password="vc-password")
    provider = harness.mocks.one("pulumi:providers:vsphere")
    assert provider.inputs["vsphereServer"] == "vc.example.org"
    assert provider.inputs["user"] == "administrator@vsphere.local"
    assert is_secret_input(provider.inputs["password"])
    assert unwrap(provider.inputs["password"]) == "vc-password"
    ns = harness.mocks.one("vsphere:index/namespace:Namespace")
    assert ns.inputs["name"] == "fate-party-30000" and ns.inputs["supervisor"] == "sv-42"
    assert ns.inputs["storagePolicies"] == [VSAN_POLICY_ID]
    bound = ["best-effort-small", "guaranteed-2xlarge", "guaranteed-fate"]
    assert ns.inputs["vmServices"] == [{"vmClasses": bound, "contentLibraries": ["lib-tkr-library"]}]
    assert ns.provider.split("::")[-2].endswith("party-ns-vsphere")
    vm_class = harness.mocks.one("vsphere:index/virtualMachineClass:VirtualMachineClass")
    assert vm_class.inputs["name"] == "guaranteed-fate"
    assert (vm_class.inputs["cpus"], vm_class.inputs["memory"]) == (8, 65536)
    assert vm_class.inputs["cpuReservation"] == vm_class.inputs["memoryReservation"] == 100
    assert vm_class.provider == ns.provider
    tokens = [token for token, _ in harness.mocks.calls]
    assert tokens.count(GET_POLICY) == 1 and tokens.count(GET_LIBRARY) == 1


def test_managed_namespace_and_classes_replace_on_rename(harness, monkeypatch):
    requests = capture_register_requests(monkeypatch)
    answer_kubeconfig_read(harness)
    answer_vsphere(harness)
    build(harness, MANAGED, vsphere_password="vc-password")
    assert sorted(requests["party-ns-namespace"].replaceOnChanges) == ["name", "supervisor"]
    assert list(requests["party-ns-class-guaranteed-fate"].replaceOnChanges) == ["name"]


def test_unmanaged_namespace_creates_nothing_on_vsphere(harness):
    answer_kubeconfig_read(harness)
    build(harness, BASE)
    vsphere = [r for r in harness.mocks.registered if "vsphere" in r.typ]
    assert vsphere == []
    assert harness.mocks.calls == []


def test_tanzu_mode_needs_supervisor_kubeconfig(harness):
    with pytest.raises(ConfigError, match="supervisorKubeconfig"):
        build(harness, BASE, supervisor_kubeconfig=None)
    assert harness.mocks.registered == []


def test_managed_namespace_needs_vsphere_password(harness):
    with pytest.raises(ConfigError, match="vspherePassword"):
        build(harness, MANAGED)
    assert harness.mocks.registered == []


def test_managed_namespace_in_first_preview(harness):
    """Policy and library lookups are Output-form invokes, so a preview resolves them like an update does."""
    harness.preview = True
    answer_vsphere(harness)
    cluster = build(harness, MANAGED, vsphere_password="vc-password")
    ns = harness.mocks.one("vsphere:index/namespace:Namespace")
    assert ns.inputs["storagePolicies"] == [VSAN_POLICY_ID]
    assert harness.is_secret(cluster.kubeconfig)
