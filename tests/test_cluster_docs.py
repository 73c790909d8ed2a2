"""The sample `cluster` blocks in docs/config-cluster.md get pasted into stack files: they must load."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from models.cluster import ClusterConfig

DOC = Path(__file__).resolve().parents[1] / "docs" / "config-cluster.md"


def sample_blocks() -> list[dict]:
    blocks = []
    for text in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S):
        data = yaml.safe_load(text)
        if "config" in data:
            blocks.append(data["config"]["kubefate-tanzu:cluster"])
    return blocks


def test_samples_validate_and_party_sample_meets_production_sizing():
    party, exchange, local = (ClusterConfig.model_validate(b) for b in sample_blocks())
    assert party.mode == exchange.mode == "tanzu" and local.mode == "kubeconfig"
    assert party.vsphere_namespace == "fate-party-30000"
    assert party.storage_class == "vsan-default-storage-policy"
    assert party.tkr.kubernetes.startswith("v1.26") and party.control_plane.replicas == 3
    assert party.sizing_findings() == []


def test_managed_vsphere_fragment_fits_the_party_sample():
    fragment = re.search(r"```yaml\n(    vsphere:.*?)```", DOC.read_text(), re.S).group(1)
    party = sample_blocks()[0]
    cfg = ClusterConfig.model_validate({**party, **yaml.safe_load(fragment)})
    assert cfg.vsphere.manage and cfg.vsphere.storage_policies == ["vSAN Default Storage Policy"]
