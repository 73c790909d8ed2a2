"""Adopt mode: an existing cluster's kubeconfig becomes a secret provider input and output."""

from __future__ import annotations

import pytest

from components.tanzu import TanzuWorkloadCluster, TanzuWorkloadClusterArgs
from models.cluster import ClusterConfig
from models.errors import ConfigError
from tests.test_tanzu_support import PROVIDER, is_secret_input, unwrap

KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n"


def test_adopt_from_secret_content(harness):
    cfg = ClusterConfig.model_validate({"mode": "kubeconfig"})
    cluster = harness.run(lambda: TanzuWorkloadCluster("c", TanzuWorkloadClusterArgs(cfg, kubeconfig=KUBECONFIG)))
    assert harness.is_secret(cluster.kubeconfig)
    assert harness.value(cluster.kubeconfig) == KUBECONFIG
    provider = harness.mocks.one(PROVIDER)
    assert is_secret_input(provider.inputs["kubeconfig"])
    assert unwrap(provider.inputs["kubeconfig"]) == KUBECONFIG
    assert provider.parent_type == "kubefate:index:TanzuWorkloadCluster"
    assert "clusterIdentifier" not in provider.inputs


def test_adopt_from_path_reads_file(harness, tmp_path):
    path = tmp_path / "kc.yaml"
    path.write_text(KUBECONFIG)
    cfg = ClusterConfig.model_validate({"mode": "kubeconfig", "kubeconfigPath": str(path), "context": "kind"})
    cluster = harness.run(lambda: TanzuWorkloadCluster("c", TanzuWorkloadClusterArgs(cfg)))
    assert harness.is_secret(cluster.kubeconfig)
    assert harness.value(cluster.kubeconfig) == KUBECONFIG
    assert harness.mocks.one(PROVIDER).inputs["context"] == "kind"


def test_adopt_missing_file_names_field(harness, tmp_path):
    cfg = ClusterConfig.model_validate({"mode": "kubeconfig", "kubeconfigPath": str(tmp_path / "nope")})
    with pytest.raises(ConfigError, match=r"cluster\.kubeconfigPath"):
        harness.run(lambda: TanzuWorkloadCluster("c", TanzuWorkloadClusterArgs(cfg)))
    assert harness.mocks.registered == []
