"""Image references: registry prefix, suffixes, version defaults, per-module overrides."""

from __future__ import annotations

import pytest

from components.images import BUSYBOX, helper_image, image_ref
from models.fate import FateSpec


def spec(**extra) -> FateSpec:
    return FateSpec.model_validate({"partyId": 30000, "backend": "spark-pulsar", **extra})


def test_defaults_for_fate_2_0_0():
    s = spec()
    assert image_ref(s, "python") == "federatedai/fateflow-spark:2.0.0-release"
    assert image_ref(s, "pulsar") == "federatedai/pulsar:2.10.2"
    assert image_ref(s, "mysql") == "mysql:8.0.28"
    assert image_ref(s, "hdfs.namenode") == "federatedai/hadoop-namenode:2.0.0-hadoop3.2.1-java8"
    assert image_ref(s, "spark.worker") == "federatedai/spark-worker:2.0.0-release"


@pytest.mark.parametrize("registry", ["harbor.local/fate", "harbor.local/fate/"])
def test_registry_prefix_with_or_without_slash(registry):
    assert image_ref(spec(registry=registry), "nginx") == "harbor.local/fate/federatedai/nginx:2.0.0-release"
    assert helper_image(spec(registry=registry), BUSYBOX) == f"harbor.local/fate/{BUSYBOX}"


def test_fate_version_sets_fate_tags_only():
    s = spec(fateVersion="2.1.0")
    assert image_ref(s, "fateboard") == "federatedai/fateboard:2.1.0-release"
    assert image_ref(s, "pulsar") == "federatedai/pulsar:2.10.2"


def test_module_image_and_tag_win():
    s = spec(fateVersion="2.1.0", python={"image": "acme/fateflow", "imageTag": "custom-1"})
    assert image_ref(s, "python") == "acme/fateflow-spark:custom-1"


def test_algorithm_and_device_suffixes():
    s = spec(algorithm="NN", device="GPU")
    assert image_ref(s, "python") == "federatedai/fateflow-spark-nn-gpu:2.0.0-release"
    assert image_ref(s, "spark.worker") == "federatedai/spark-worker-nn-gpu:2.0.0-release"
    assert image_ref(s, "nginx") == "federatedai/nginx:2.0.0-release"
    e = FateSpec.model_validate({"partyId": 1, "backend": "eggroll", "algorithm": "ALL", "device": "IPCL"})
    assert image_ref(e, "python") == "federatedai/fateflow-all-ipcl:2.0.0-release"
    assert image_ref(e, "clustermanager") == "federatedai/eggroll-all-ipcl:2.0.0-release"
    assert image_ref(e, "nodemanager") == "federatedai/eggroll:2.0.0-release"
