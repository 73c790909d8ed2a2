"""sizing_findings: effective requests/sizes (defaults included) against the reference architecture."""

from __future__ import annotations

from models.fate import FateSpec


def spec(**extra) -> FateSpec:
    return FateSpec.model_validate({"partyId": 30000, "backend": "spark-pulsar", **extra})


def test_defaults_meet_the_reference_architecture():
    assert spec().sizing_findings() == []
    assert spec(persistence=True, storageClass="vsan").sizing_findings() == []
    assert FateSpec.model_validate({"partyId": 1, "backend": "eggroll"}).sizing_findings() == []


def test_fate_pod_below_4_vcpu_and_8_gib():
    found = spec(python={"resources": {"requests": {"cpu": "2", "memory": "4Gi"}}}).sizing_findings()
    assert found == [
        "fate.python.resources.requests.cpu = '2': below the reference architecture's 4 vCPU for a FATE pod. "
        "Fix: request at least 4 CPUs, or use sizing: trial",
        "fate.python.resources.requests.memory = '4Gi': below the reference architecture's 8 GiB for a FATE pod. "
        "Fix: request at least 8Gi, or use sizing: trial",
    ]


def test_spark_worker_below_8_vcpu_and_16_gib():
    found = spec(spark={"worker": {"resources": {"requests": {"cpu": 4, "memory": "8Gi"}}}}).sizing_findings()
    assert found == [
        "fate.spark.worker.resources.requests.cpu = 4: below the reference architecture's 8 vCPU for a Spark "
        "worker. Fix: request at least 8 CPUs, or use sizing: trial",
        "fate.spark.worker.resources.requests.memory = '8Gi': below the reference architecture's 16 GiB for a "
        "Spark worker. Fix: request at least 16Gi, or use sizing: trial",
    ]


def test_only_limit_given_counts_as_the_request():
    found = spec(pulsar={"resources": {"limits": {"cpu": "2", "memory": "16Gi"}}}).sizing_findings()
    assert found == [
        "fate.pulsar.resources.requests.cpu = '2': below the reference architecture's 4 vCPU for a FATE pod. "
        "Fix: request at least 4 CPUs, or use sizing: trial"
    ]


def test_millicores_and_decimal_units_are_compared_correctly():
    assert spec(python={"resources": {"requests": {"cpu": "4000m", "memory": "9G"}}}).sizing_findings() == []
    found = spec(python={"resources": {"requests": {"cpu": "3999m", "memory": "8G"}}}).sizing_findings()
    assert [f.split(" = ")[0] for f in found] == [
        "fate.python.resources.requests.cpu",
        "fate.python.resources.requests.memory",
    ]


def test_small_volumes_only_matter_with_persistence():
    assert spec(persistence=True, storageClass="vsan", mysql={"size": "1Gi"}).sizing_findings() == [
        "fate.mysql.size = '1Gi': volumes below 5 GiB are under the reference architecture. Fix: use at least "
        "5Gi, or use sizing: trial"
    ]


def test_existing_claims_are_not_sized():
    s = spec(persistence=True, storageClass="vsan", mysql={"existingClaim": "old", "size": "1Gi"})
    assert s.sizing_findings() == []


def test_supporting_modules_are_not_held_to_fate_pod_minimums():
    assert spec(mysql={"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}).sizing_findings() == []


def test_prefix_names_the_source():
    found = spec(python={"resources": {"requests": {"cpu": "1"}}}).sizing_findings(prefix="cluster.yaml")
    assert found[0].startswith("cluster.yaml.python.resources.requests.cpu = '1':")
