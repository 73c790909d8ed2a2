"""Pure Kubernetes bodies: probes, data volumes per persistence mode, Services, JVM memory flags."""

from __future__ import annotations

from components.fate_cluster import objects as o
from models.fate import FateSpec


def spec(**extra) -> FateSpec:
    return FateSpec.model_validate({"partyId": 30000, "backend": "spark-pulsar", **extra})


def test_probes_follow_the_chart_timings():
    p = o.probes("tcp", 9380, liveness_delay=30)
    assert p["startupProbe"] == {"tcpSocket": {"port": 9380}, "periodSeconds": 10, "failureThreshold": 12}
    assert p["livenessProbe"]["initialDelaySeconds"] == 30
    assert p["readinessProbe"]["tcpSocket"] == {"port": 9380}
    assert o.probes("http", 9302, "/test")["livenessProbe"]["httpGet"] == {"path": "/test", "port": 9302}


def test_data_volume_without_persistence_is_empty_dir():
    assert o.data_volume(spec(), "python", "python-data", "python") == ([{"name": "python-data", "emptyDir": {}}], [])


def test_data_volume_with_persistence_is_a_claim_template_on_the_storage_class():
    volumes, claims = o.data_volume(
        spec(persistence=True, storageClass="vsan", python={"size": "30Gi"}), "python", "python-data", "python"
    )
    assert volumes == []
    assert claims[0]["metadata"]["name"] == "python-data"
    assert claims[0]["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": "vsan",
        "resources": {"requests": {"storage": "30Gi"}},
    }


def test_data_volume_with_existing_claim():
    volumes, claims = o.data_volume(
        spec(persistence=True, storageClass="vsan", mysql={"existingClaim": "old"}), "mysql", "mysql-data", "mysql"
    )
    assert volumes == [{"name": "mysql-data", "persistentVolumeClaim": {"claimName": "old"}}]
    assert claims == []


def test_service_node_ports_only_for_node_port_types():
    s = spec()
    cluster_ip = o.service(s, "nginx", "nginx", [("http", 9300, 30093)])
    assert "nodePort" not in cluster_ip["ports"][0]
    lb = o.service(s, "nginx", "nginx", [("http", 9300, 30093)], "LoadBalancer", load_balancer_ip="10.1.1.1")
    assert lb["ports"][0]["nodePort"] == 30093
    assert lb["loadBalancerIP"] == "10.1.1.1"
    assert lb["selector"] == {"name": "fate-30000", "partyId": "30000", "fateMoudle": "nginx"}
    assert o.service(s, "fateflow", "python", [("tcp-http", 9380, None)], headless=True)["clusterIP"] == "None"


def test_jvm_flags_follow_the_memory_request():
    assert o.jvm_memory_flags(spec(), "pulsar") == "-Xms4096m -Xmx4096m -XX:MaxDirectMemorySize=2048m"
    big = spec(pulsar={"resources": {"requests": {"memory": "16Gi"}, "limits": {"memory": "16Gi"}}})
    assert o.jvm_memory_flags(big, "pulsar") == "-Xms8192m -Xmx8192m -XX:MaxDirectMemorySize=4096m"


def test_effective_resources_never_put_a_default_request_above_a_user_limit():
    s = spec(python={"resources": {"limits": {"cpu": "2"}}})
    assert s.effective_resources("python") == {"requests": {"memory": "8Gi"}, "limits": {"cpu": "2"}}


def test_labels_carry_kubefate_and_recommended_keys():
    labels = o.labels(spec(), "python")
    assert {k: labels[k] for k in ("name", "partyId", "owner", "cluster", "fateMoudle")} == {
        "name": "fate-30000",
        "partyId": "30000",
        "owner": "kubefate",
        "cluster": "fate",
        "fateMoudle": "python",
    }
    assert labels["app.kubernetes.io/part-of"] == "fate"
