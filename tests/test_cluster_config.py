"""ClusterConfig: defaults, validation messages in house format, secrets check, sizing findings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.cluster import (
    ClusterConfig,
    TkrVersion,
    check_cluster_secrets,
    duration_minutes,
    k8s_storage_class_name,
)
from models.errors import ConfigError, from_validation_error

BASE = {"name": "fate-30000", "vsphereNamespace": "fate-party-30000", "tkrVersion": "v1.26.5---vmware.2-fips.1-tkg.1"}


def cluster(**overrides) -> ClusterConfig:
    return ClusterConfig.model_validate({**BASE, **overrides})


def problems(data: dict) -> str:
    with pytest.raises(ValidationError) as info:
        ClusterConfig.model_validate(data)
    err = from_validation_error(info.value, "cluster", "stack configuration")
    assert isinstance(err, ConfigError)
    return str(err)


def test_tanzu_defaults():
    cfg = ClusterConfig.model_validate(BASE)
    assert cfg.mode == "tanzu" and cfg.api_flavor == "tkc"
    assert cfg.control_plane.replicas == 1 and cfg.control_plane.vm_class == "best-effort-small"
    assert [(p.name, p.vm_class, p.containerd_volume) for p in cfg.node_pools] == [
        ("workers", "best-effort-2xlarge", "32Gi")
    ]
    assert cfg.storage_class == "vsan-default-storage-policy"
    assert (cfg.timeouts.create, cfg.timeouts.update, cfg.timeouts.delete) == ("60m", "60m", "30m")
    assert cfg.vsphere.manage is False
    assert cfg.prepare is True and cfg.make_default_storage_class is True
    assert cfg.pod_security_mode == "psa"


def test_adopt_mode_needs_no_tanzu_keys_and_prepares_nothing_by_default():
    cfg = ClusterConfig.model_validate({"mode": "kubeconfig"})
    assert cfg.prepare is False and cfg.make_default_storage_class is False
    assert ClusterConfig.model_validate({"mode": "kubeconfig", "preparation": {"enabled": True}}).prepare


def test_unknown_key_is_refused():
    assert "cluster.nodepools" in problems({**BASE, "nodepools": []})


@pytest.mark.parametrize(
    "text, kubernetes, name, semver",
    [
        (
            "v1.26.5---vmware.2-fips.1-tkg.1",
            "v1.26.5",
            "v1.26.5---vmware.2-fips.1-tkg.1",
            "v1.26.5+vmware.2-fips.1-tkg.1",
        ),
        (
            "v1.26.5+vmware.2-fips.1-tkg.1",
            "v1.26.5",
            "v1.26.5---vmware.2-fips.1-tkg.1",
            "v1.26.5+vmware.2-fips.1-tkg.1",
        ),
        ("v1.26.5+vmware.2-fips.1", "v1.26.5", "v1.26.5---vmware.2-fips.1", "v1.26.5+vmware.2-fips.1"),
        ("v1.24.9---vmware.1-tkg.4", "v1.24.9", "v1.24.9---vmware.1-tkg.4", "v1.24.9+vmware.1-tkg.4"),
    ],
)
def test_tkr_forms(text, kubernetes, name, semver):
    tkr = TkrVersion.parse(text)
    assert (tkr.kubernetes, tkr.tkr_name, tkr.semver) == (kubernetes, name, semver)


@pytest.mark.parametrize("bad", ["1.26.5", "v1.26", "v1.26.5-vmware.2", "latest", "v1.26.5---tkg.1"])
def test_bad_tkr_version(bad):
    text = problems({**BASE, "tkrVersion": bad})
    assert f"cluster.tkrVersion = {bad!r}: not a TKR version" in text and "Fix:" in text


def test_tkc_needs_full_tkr_name_but_capi_takes_a_prefix():
    short = "v1.26.5+vmware.2-fips.1"
    assert "references the TKR by its full name" in problems({**BASE, "tkrVersion": short})
    cfg = ClusterConfig.model_validate({**BASE, "tkrVersion": "v1.26.5+vmware.2-fips.1", "apiFlavor": "capi"})
    assert cfg.tkr.semver == "v1.26.5+vmware.2-fips.1"


@pytest.mark.parametrize("replicas", [0, 2, 4, 5])
def test_control_plane_replicas_one_or_three(replicas):
    text = problems({**BASE, "controlPlane": {"replicas": replicas}})
    assert f"cluster.controlPlane.replicas = {replicas}" in text and "use 1" in text


def test_storage_class_must_be_the_kubernetes_name():
    text = problems({**BASE, "storageClass": "vSAN Default Storage Policy"})
    assert "cluster.storageClass = 'vSAN Default Storage Policy'" in text
    assert "use 'vsan-default-storage-policy'" in text
    assert "use 'gold-tier'" in problems({**BASE, "nodePools": [{"storageClass": "Gold Tier"}]})


@pytest.mark.parametrize(
    "policy, name",
    [
        ("vSAN Default Storage Policy", "vsan-default-storage-policy"),
        ("Gold_Tier (fast)", "gold-tier-fast-0"),
        ("-Edge.", "0-edge.0"),
        ("Crème Brûlée", "creme-brulee"),
        ("k8s.policy-1", "k8s.policy-1"),
    ],
)
def test_k8s_storage_class_name(policy, name):
    assert k8s_storage_class_name(policy) == name


def test_tanzu_mode_requires_cluster_identity():
    text = problems({})
    for key in ("cluster.name", "cluster.vsphereNamespace", "cluster.tkrVersion"):
        assert f"{key} = None: required in mode 'tanzu'" in text


def test_names_are_dns_labels():
    assert "cluster.vsphereNamespace = 'Fate_Party'" in problems({**BASE, "vsphereNamespace": "Fate_Party"})
    assert "use e.g. 'fate-party'" in problems({**BASE, "vsphereNamespace": "Fate_Party"})


@pytest.mark.parametrize(
    "timeouts, needle",
    [
        ({"create": "20m"}, "cluster.timeouts.create = '20m'"),
        ({"create": "soon"}, "cluster.timeouts.create = 'soon': not a duration"),
        ({"delete": "1m"}, "cluster.timeouts.delete = '1m'"),
        ({"update": "48h"}, "longer than a day"),
    ],
)
def test_timeouts_sane(timeouts, needle):
    assert needle in problems({**BASE, "timeouts": timeouts})


def test_duration_minutes():
    assert duration_minutes("60m") == 60
    assert duration_minutes("1h30m") == 90
    assert duration_minutes("3600s") == 60
    assert duration_minutes("") is None and duration_minutes("1d") is None


def test_vm_classes_must_be_bound_when_listed():
    text = problems({**BASE, "vmClasses": ["best-effort-small"]})
    assert "cluster.nodePools[0].vmClass = 'best-effort-2xlarge': the vSphere Namespace does not bind" in text
    assert "cluster.controlPlane.vmClass" not in text
    ok = {
        **BASE,
        "vmClasses": ["best-effort-small"],
        "nodePools": [{"vmClass": "guaranteed-fate"}],
        "vsphere": {
            "manage": True,
            "server": "vc",
            "user": "u",
            "supervisorId": "s",
            "storagePolicies": ["vSAN Default Storage Policy"],
            "customVmClasses": [{"name": "guaranteed-fate", "cpus": 8, "memoryMiB": 65536}],
        },
    }
    assert ClusterConfig.model_validate(ok).bound_vm_classes == ["best-effort-small", "guaranteed-fate"]


def test_unlisted_classes_are_not_checked_for_an_admin_given_namespace():
    assert ClusterConfig.model_validate({**BASE, "nodePools": [{"vmClass": "site-special"}]})


def test_managed_namespace_requirements_and_storage_offer():
    text = problems(
        {
            **BASE,
            "vmClasses": ["best-effort-small", "best-effort-2xlarge"],
            "vsphere": {"manage": True, "storagePolicies": ["Gold"]},
        }
    )
    for key in ("cluster.vsphere.server", "cluster.vsphere.user", "cluster.vsphere.supervisorId"):
        assert f"{key} = None: required when vsphere.manage is true" in text
    assert "cluster.storageClass = 'vsan-default-storage-policy': no storage policy" in text
    assert "offered: ['gold']" in text


def test_adopt_mode_refuses_managed_vsphere():
    assert "cluster.vsphere.manage = True" in problems({"mode": "kubeconfig", "vsphere": {"manage": True}})


def test_duplicate_pool_names_and_empty_pools():
    assert "duplicate node pool name" in problems({**BASE, "nodePools": [{"name": "a"}, {"name": "a"}]})
    assert "cluster.nodePools = []" in problems({**BASE, "nodePools": []})


def test_containerd_volume_and_cidrs():
    assert "cluster.nodePools[].containerdVolume = '32GB'" in problems(
        {**BASE, "nodePools": [{"containerdVolume": "32GB"}]}
    )
    assert ClusterConfig.model_validate({**BASE, "nodePools": [{"containerdVolume": None}]})
    assert "cluster.network = '10.0.0.0/33'" in problems({**BASE, "network": {"pods": ["10.0.0.0/33"]}})


def test_pod_security_mode_follows_tkr():
    assert cluster(tkrVersion="v1.24.9---vmware.1-tkg.4").pod_security_mode == "psp"
    assert cluster(tkrVersion="v1.25.7---vmware.3-fips.1-tkg.1").pod_security_mode == "psa"
    forced = {**BASE, "tkrVersion": "v1.24.9---vmware.1-tkg.4", "preparation": {"podSecurity": "none"}}
    assert ClusterConfig.model_validate(forced).pod_security_mode == "none"
    assert ClusterConfig.model_validate({"mode": "kubeconfig"}).pod_security_mode == "psa"


def test_sizing_findings():
    default = ClusterConfig.model_validate(BASE).sizing_findings()
    assert len(default) == 1
    assert "cluster.nodePools[0].vmClass = 'best-effort-2xlarge': best-effort" in default[0]
    assert "use 'guaranteed-2xlarge'" in default[0]
    small = ClusterConfig.model_validate({**BASE, "nodePools": [{"vmClass": "guaranteed-large"}]})
    assert ["below the reference architecture" in f for f in small.sizing_findings()] == [True]
    assert cluster(nodePools=[{"vmClass": "guaranteed-2xlarge"}]).sizing_findings() == []
    assert cluster(nodePools=[{"vmClass": "site-special"}]).sizing_findings() == []


def test_check_cluster_secrets():
    tanzu = ClusterConfig.model_validate(BASE)
    assert check_cluster_secrets(tanzu, False, True, False) == []
    assert "supervisorKubeconfig = None" in check_cluster_secrets(tanzu, True, False, False)[0]
    managed = ClusterConfig.model_validate(
        {
            **BASE,
            "vmClasses": ["best-effort-small", "best-effort-2xlarge"],
            "vsphere": {
                "manage": True,
                "server": "vc",
                "user": "u",
                "supervisorId": "s",
                "storagePolicies": ["vSAN Default Storage Policy"],
            },
        }
    )
    assert "vspherePassword = None" in check_cluster_secrets(managed, False, True, False)[0]
    adopt = ClusterConfig.model_validate({"mode": "kubeconfig"})
    assert "kubeconfig = None" in check_cluster_secrets(adopt, False, False, False)[0]
    assert check_cluster_secrets(adopt, True, False, False) == []
    by_path = ClusterConfig.model_validate({"mode": "kubeconfig", "kubeconfigPath": "~/.kube/config"})
    assert check_cluster_secrets(by_path, False, False, False) == []
