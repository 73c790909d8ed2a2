"""The local helper the federation's e2e runs depend on, without a cluster or Pulumi: the volume the
provisioner binds a claim to."""

from __future__ import annotations

from tests.e2e.local_provisioner import STORAGE_CLASS, storage_class, volume_for


def test_volume_matches_and_is_prebound_to_its_claim():
    claim = {
        "metadata": {"name": "persistence-mysql-0", "namespace": "fate-30000", "uid": "u-1"},
        "spec": {
            "storageClassName": STORAGE_CLASS,
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
        },
    }
    pv = volume_for(claim)
    assert pv["spec"]["capacity"] == {"storage": "1Gi"}
    assert pv["spec"]["storageClassName"] == STORAGE_CLASS
    assert pv["spec"]["claimRef"] == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "namespace": "fate-30000",
        "name": "persistence-mysql-0",
        "uid": "u-1",
    }
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert storage_class()["volumeBindingMode"] == "Immediate"
