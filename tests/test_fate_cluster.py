"""FateCluster under the mock harness: what is registered, with which inputs, parents, provider and secrets."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

from components.fate_cluster import FateCluster, FateClusterArgs
from components.fate_cluster.checksum import ANNOTATION, config_checksum
from models.errors import ConfigError
from models.fate import FateSpec, parse_fate_spec
from tests.harness import mock_cluster_ip

TYPE = "kubefate:index:FateCluster"
KNOWN_PASSWORD = "S3cr3tKnownPassw0rd"
EXCHANGE = {"host": "10.9.9.9", "nginxHttpPort": 9300, "nginxGrpcPort": 9310, "atsPort": 443, "domain": "fate.org"}
TLS = {"certPem": "-----CERT-----", "keyPkcs8Pem": "-----PRIVATE KEY-----", "caPem": "-----CA-----"}
SEEDS: dict[str, Any] = {
    "partyId": 30000,
    "backend": "spark-pulsar",
    "persistence": True,
    "storageClass": "vsan-default-storage-policy",
    "nginx": {"type": "LoadBalancer"},
    "pulsar": {"type": "LoadBalancer"},
}

STS, DEPLOY, SVC, CM, SECRET = (
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:core/v1:Secret",
)


def deploy(
    harness,
    data: dict[str, Any] | None = None,
    lb: dict[str, str] | None = None,
    captured: dict[str, Any] | None = None,
    **args: Any,
) -> FateCluster:
    spec = FateSpec.model_validate(data or SEEDS)
    harness.mocks.on_new["random:index/randomPassword:RandomPassword"] = lambda a: {"result": KNOWN_PASSWORD}
    if lb is not None:
        harness.mocks.on_new[SVC] = lambda a: (
            {"status": {"loadBalancer": {"ingress": [lb]}}} if a.inputs["spec"]["type"] == "LoadBalancer" else {}
        )

    def capture(t: pulumi.ResourceTransformationArgs):
        if captured is not None:
            captured[t.name] = t.opts
        return None

    def body():
        provider = k8s.Provider("workload", kubeconfig="adopted")
        return FateCluster(
            "party",
            FateClusterArgs(spec=spec, provider=provider, **args),
            pulumi.ResourceOptions(transformations=[capture]),
        )

    return harness.run(body)


SECRET_SIG = "4dabf18193072939515e22adb298388d"


def unsecret(value: Any) -> Any:
    """Values marked secret reach the mock monitor wrapped in Pulumi's secret envelope."""
    return value["value"] if isinstance(value, dict) and SECRET_SIG in value else value


def names(harness, typ: str) -> set[str]:
    return {r.k8s_name for r in harness.mocks.of_type(typ)}


def pod(harness, typ: str, name: str) -> dict[str, Any]:
    return harness.mocks.one(typ, name).inputs["spec"]["template"]["spec"]


def main_container(harness, typ: str, name: str) -> dict[str, Any]:
    return pod(harness, typ, name)["containers"][0]


def annotation(harness, typ: str, name: str) -> str:
    return harness.mocks.one(typ, name).inputs["spec"]["template"]["metadata"]["annotations"][ANNOTATION]


def config_file(harness, cm: str, key: str) -> str:
    return harness.mocks.one(CM, cm).inputs["data"][key]


# -- what is registered -------------------------------------------------------------------------------------


def test_spark_pulsar_objects(harness):
    deploy(harness)
    assert names(harness, "kubernetes:core/v1:Namespace") == {"fate-30000"}
    assert names(harness, STS) == {"python", "mysql", "client", "namenode", "datanode", "pulsar"}
    assert names(harness, DEPLOY) == {"fateboard", "spark-master", "spark-worker", "nginx"}
    assert names(harness, SVC) == {
        "fateflow",
        "fateflow-client",
        "fateboard",
        "notebook",
        "mysql",
        "spark-master",
        "spark-client",
        "spark-worker-1",
        "namenode",
        "datanode",
        "nginx",
        "pulsar",
        "pulsar-public-tls",
    }
    assert names(harness, CM) == {
        "python-config",
        "pulsar-route-table",
        "fateboard-config",
        "nginx-config",
        "pulsar-config",
        "namenode-config",
        "namenode-env",
        "datanode-env",
    }
    assert names(harness, SECRET) == {"fate-credentials", "mysql-tls"}
    assert names(harness, "kubernetes:networking.k8s.io/v1:Ingress") == {"fateboard", "client"}
    namespaced = [
        r
        for r in harness.mocks.registered
        if r.typ.startswith("kubernetes:") and "Namespace" not in r.typ and r.typ != "pulumi:providers:kubernetes"
    ]
    assert {r.k8s_namespace for r in namespaced} == {"fate-30000"}


def test_slim_objects(harness):
    deploy(harness, {"partyId": 10000, "backend": "spark-local-pulsar"})
    assert names(harness, STS) == {"python", "mysql", "client", "pulsar"}
    assert names(harness, DEPLOY) == {"fateboard", "nginx"}
    assert main_container(harness, STS, "python")["image"] == "federatedai/fateflow-spark:2.0.0-release"
    assert "local[*]" in config_file(harness, "python-config", "spark-defaults.conf")


def test_eggroll_objects(harness):
    deploy(
        harness,
        {
            "partyId": 9999,
            "backend": "eggroll",
            "persistence": True,
            "storageClass": "vsan",
            "osx": {"exchange": {"ip": "10.0.0.1", "port": 30000}},
        },
    )
    assert names(harness, STS) == {"python", "mysql", "client", "nodemanager"}
    assert names(harness, DEPLOY) == {"fateboard", "osx", "clustermanager"}
    assert {"osx", "clustermanager", "nodemanager"} <= names(harness, SVC)
    assert "nginx" not in names(harness, SVC) and "pulsar" not in names(harness, SVC)
    assert names(harness, CM) == {"python-config", "fateboard-config", "eggroll-config", "osx-config"}
    broker = config_file(harness, "osx-config", "broker.properties")
    assert "self.party=9999\n" in broker
    routes = json.loads(config_file(harness, "osx-config", "route_table.json"))
    assert routes["route_table"]["default"] == {"default": [{"ip": "10.0.0.1", "port": 30000}]}
    mysql_pod = pod(harness, STS, "mysql")
    assert mysql_pod["initContainers"][0]["name"] == "eggroll-schema"
    nm = harness.mocks.one(STS, "nodemanager").inputs["spec"]
    assert nm["replicas"] == 2
    assert nm["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "vsan"
    cm = main_container(harness, DEPLOY, "clustermanager")
    assert cm["image"] == "federatedai/eggroll:2.0.0-release"
    assert {
        "name": "MYSQL_PASSWORD",
        "valueFrom": {"secretKeyRef": {"name": "fate-credentials", "key": "mysql-password"}},
    } in cm["env"]


# -- parents, provider, labels ----------------------------------------------------------------------------------


def test_every_child_is_parented_to_the_component_with_the_explicit_provider(harness):
    deploy(harness, pulsar_tls=TLS)
    children = [r for r in harness.mocks.registered if r.typ not in (TYPE, "pulumi:providers:kubernetes")]
    assert children
    assert {r.parent_type for r in children} == {TYPE}
    k8s_children = [r for r in children if r.typ.startswith("kubernetes:")]
    assert all(r.provider and "::workload::" in r.provider for r in k8s_children), [
        (r.name, r.provider) for r in k8s_children if not (r.provider and "::workload::" in r.provider)
    ]


def test_namespace_and_workloads_carry_kubefate_labels(harness):
    deploy(harness)
    ns = harness.mocks.one("kubernetes:core/v1:Namespace", "fate-30000").inputs["metadata"]["labels"]
    assert ns["owner"] == "kubefate" and ns["pod-security.kubernetes.io/enforce"] == "baseline"
    sts = harness.mocks.one(STS, "python").inputs
    assert sts["metadata"]["labels"]["fateMoudle"] == "python"
    assert sts["spec"]["selector"]["matchLabels"] == {"name": "fate-30000", "partyId": "30000", "fateMoudle": "python"}
    assert sts["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "pulumi-kubefate-tanzu"


# -- inputs: images, ports, probes, volumes, services ------------------------------------------------------------


def test_images_ports_and_probes(harness):
    deploy(harness, {**SEEDS, "registry": "harbor.local", "fateVersion": "2.0.1"})
    flow = main_container(harness, STS, "python")
    assert flow["image"] == "harbor.local/federatedai/fateflow-spark:2.0.1-release"
    assert {p["containerPort"] for p in flow["ports"]} == {9360, 9380}
    assert flow["livenessProbe"]["tcpSocket"]["port"] == 9380
    assert main_container(harness, STS, "pulsar")["image"] == "harbor.local/federatedai/pulsar:2.10.2"
    nginx = main_container(harness, DEPLOY, "nginx")
    assert nginx["readinessProbe"]["httpGet"] == {"path": "/test", "port": 9302}
    assert main_container(harness, STS, "mysql")["image"] == "harbor.local/mysql:8.0.28"


def test_fateflow_command_has_no_pip_install_and_no_debug(harness):
    deploy(harness)
    script = main_container(harness, STS, "python")["command"][-1]
    assert "pip install" not in script and "--debug" not in script
    assert "exec python fate_flow/python/fate_flow/fate_flow_server.py" in script
    client = main_container(harness, STS, "client")["command"][-1]
    assert "--debug" not in client


def test_volume_claims_use_the_storage_class(harness):
    deploy(harness, {**SEEDS, "python": {"storageClass": "fast", "size": "40Gi"}})
    for name, sc in (
        ("python", "fast"),
        ("mysql", "vsan-default-storage-policy"),
        ("pulsar", "vsan-default-storage-policy"),
        ("datanode", "vsan-default-storage-policy"),
    ):
        claim = harness.mocks.one(STS, name).inputs["spec"]["volumeClaimTemplates"][0]
        assert claim["spec"]["storageClassName"] == sc
    python_claim = harness.mocks.one(STS, "python").inputs["spec"]["volumeClaimTemplates"][0]
    assert python_claim["spec"]["resources"]["requests"]["storage"] == "40Gi"
    assert (
        harness.mocks.one(STS, "python").inputs["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"]
        == "Retain"
    )


def test_sub_paths_claim_names_and_mysql_port(harness):
    deploy(
        harness,
        {
            **SEEDS,
            "python": {"subPath": "flow"},
            "pulsar": {"type": "LoadBalancer", "subPath": "bk"},
            "mysql": {"claimName": "db", "port": 3307},
        },
    )
    flow = {m["mountPath"]: m for m in main_container(harness, STS, "python")["volumeMounts"]}
    assert flow["/data/projects/fate/fate_flow/logs"]["subPath"] == "flow/logs"
    pulsar = {m["mountPath"]: m for m in main_container(harness, STS, "pulsar")["volumeMounts"]}
    assert pulsar["/pulsar/data"]["subPath"] == "bk"
    mysql = harness.mocks.one(STS, "mysql").inputs["spec"]
    assert mysql["volumeClaimTemplates"][0]["metadata"]["name"] == "db"
    port = harness.mocks.one(SVC, "mysql").inputs["spec"]["ports"][0]
    assert (port["port"], port["targetPort"]) == (3307, 3306)
    assert "port: 3307" in config_file(harness, "python-config", "service_conf.yaml")


def test_without_persistence_volumes_are_empty_dirs(harness):
    deploy(harness, {"partyId": 30000, "backend": "spark-pulsar"})
    python = harness.mocks.one(STS, "python").inputs["spec"]
    assert "volumeClaimTemplates" not in python
    assert {"name": "python-data", "emptyDir": {}} in python["template"]["spec"]["volumes"]


def test_keep_volumes_retains_the_namespace_on_destroy(harness):
    captured: dict[str, Any] = {}
    deploy(harness, captured=captured)
    assert captured["party-namespace"].retain_on_delete is True


def test_volumes_not_kept_when_asked(harness):
    captured: dict[str, Any] = {}
    deploy(harness, {**SEEDS, "keepVolumesOnDestroy": False}, captured=captured)
    assert not captured["party-namespace"].retain_on_delete
    policy = harness.mocks.one(STS, "mysql").inputs["spec"]["persistentVolumeClaimRetentionPolicy"]
    assert policy == {"whenDeleted": "Delete", "whenScaled": "Retain"}


def test_service_types_and_load_balancer_ip(harness):
    deploy(harness, {**SEEDS, "nginx": {"type": "LoadBalancer", "loadBalancerIP": "10.20.0.5"}})
    nginx = harness.mocks.one(SVC, "nginx").inputs["spec"]
    assert (nginx["type"], nginx["loadBalancerIP"]) == ("LoadBalancer", "10.20.0.5")
    assert {p["port"] for p in nginx["ports"]} == {9300, 9310}
    # Pulsar: every listener in the cluster, only TLS on the load balancer.
    pulsar = harness.mocks.one(SVC, "pulsar").inputs["spec"]
    assert pulsar["type"] == "ClusterIP" and {p["port"] for p in pulsar["ports"]} == {6650, 6651, 8080, 8081}
    public = harness.mocks.one(SVC, "pulsar-public-tls").inputs["spec"]
    assert public["type"] == "LoadBalancer" and [p["port"] for p in public["ports"]] == [6651]
    assert harness.mocks.one(SVC, "fateflow").inputs["spec"]["clusterIP"] == "None"


def test_load_balancer_source_ranges_per_exposed_service(harness):
    ranges = ["203.0.113.0/24", "198.51.100.7/32"]
    deploy(
        harness,
        {
            **SEEDS,
            "nginx": {"type": "LoadBalancer", "loadBalancerSourceRanges": ranges},
            "pulsar": {"type": "LoadBalancer", "loadBalancerSourceRanges": ranges[:1]},
        },
    )
    assert harness.mocks.one(SVC, "nginx").inputs["spec"]["loadBalancerSourceRanges"] == ranges
    assert harness.mocks.one(SVC, "pulsar-public-tls").inputs["spec"]["loadBalancerSourceRanges"] == ranges[:1]
    assert "loadBalancerSourceRanges" not in harness.mocks.one(SVC, "pulsar").inputs["spec"]


def test_source_ranges_must_be_cidr_blocks():
    with pytest.raises(ConfigError) as exc:
        parse_fate_spec({**SEEDS, "nginx": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.1.2.3/8"]}})
    (problem,) = exc.value.problems
    assert problem.startswith("fate.nginx.loadBalancerSourceRanges = ['10.1.2.3/8']: '10.1.2.3/8' is not a CIDR")


def test_the_plain_pulsar_node_port_is_refused():
    with pytest.raises(ConfigError) as exc:
        parse_fate_spec({**SEEDS, "pulsar": {"type": "NodePort", "httpNodePort": 30094}})
    assert any(p.startswith("fate.pulsar.httpNodePort = 30094: the plain Pulsar port") for p in exc.value.problems)


def test_node_ports_are_rendered_for_node_port_services(harness):
    deploy(
        harness,
        {
            "partyId": 9999,
            "backend": "spark-pulsar",
            "pulsar": {"type": "NodePort", "httpsNodePort": 30099},
        },
    )
    public = harness.mocks.one(SVC, "pulsar-public-tls").inputs["spec"]
    assert public["type"] == "NodePort"
    assert [(p["port"], p["nodePort"]) for p in public["ports"]] == [(6651, 30099)]
    assert harness.mocks.one(SVC, "pulsar").inputs["spec"]["type"] == "ClusterIP"


def test_ingress_hosts_default_to_unique_party_hosts(harness):
    fc = deploy(harness)
    rules = harness.mocks.one("kubernetes:networking.k8s.io/v1:Ingress", "fateboard").inputs["spec"]["rules"]
    assert rules[0]["host"] == "fateboard.30000.fate.local"
    assert rules[0]["http"]["paths"][0]["backend"]["service"] == {"name": "fateboard", "port": {"number": 8080}}
    assert harness.value(fc.fateboard_url) == "http://fateboard.30000.fate.local/"
    assert harness.value(fc.notebook_url) == "http://notebook.30000.fate.local/"


def test_ingress_hosts_and_tls_from_config(harness):
    board = {
        "hosts": [{"name": "board.bank-a.com"}],
        "tls": [{"secretName": "board-tls", "hosts": ["board.bank-a.com"]}],
    }
    fc = deploy(harness, {**SEEDS, "ingressClassName": "contour", "ingress": {"fateboard": board}})
    spec = harness.mocks.one("kubernetes:networking.k8s.io/v1:Ingress", "fateboard").inputs["spec"]
    assert spec["ingressClassName"] == "contour"
    assert spec["tls"] == [{"secretName": "board-tls", "hosts": ["board.bank-a.com"]}]
    assert harness.value(fc.fateboard_url) == "https://board.bank-a.com/"


# -- secrets ---------------------------------------------------------------------------------------------------


def test_no_generated_password_in_config_maps_or_plain_inputs(harness):
    fc = deploy(harness, pulsar_tls=TLS, exchange=EXCHANGE)
    for r in harness.mocks.registered:
        if r.typ == SECRET:
            continue
        assert KNOWN_PASSWORD not in json.dumps(r.inputs, default=str), r.name
    for out in (
        fc.namespace,
        fc.nginx_endpoint,
        fc.pulsar_endpoint,
        fc.fateboard_url,
        fc.notebook_url,
        fc.exchange_connected,
    ):
        assert KNOWN_PASSWORD not in json.dumps(harness.value(out), default=str)
    raw = harness.mocks.one(SECRET, "fate-credentials").inputs["stringData"]
    assert SECRET_SIG in raw, "credentials must be marked secret"
    assert set(unsecret(raw)) == {"mysql-password", "mysql-root-password", "fateboard-password"}


def test_passwords_reach_pods_through_secret_key_refs(harness):
    deploy(harness)
    mysql_env = {e["name"]: e for e in main_container(harness, STS, "mysql")["env"]}
    assert mysql_env["MYSQL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "fate-credentials",
        "key": "mysql-password",
    }
    assert mysql_env["MYSQL_ROOT_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "mysql-root-password"
    assert "MYSQL_ALLOW_EMPTY_PASSWORD" not in mysql_env
    board_env = {e["name"]: e for e in main_container(harness, DEPLOY, "fateboard")["env"]}
    assert board_env["SERVER_BOARD_LOGIN_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "fateboard-password"
    conf = yaml.safe_load(config_file(harness, "python-config", "service_conf.yaml"))
    assert conf["database"]["mysql"]["passwd"] == "__FATE_MYSQL_PASSWORD__"
    script = main_container(harness, STS, "python")["command"][-1]
    assert "__FATE_MYSQL_PASSWORD__" in script and "MYSQL_PASSWORD" in script


def test_eggroll_credentials_include_the_dashboard_password(harness):
    deploy(harness, {"partyId": 9999, "backend": "eggroll"})
    creds = unsecret(harness.mocks.one(SECRET, "fate-credentials").inputs["stringData"])
    assert "eggroll-dashboard-password" in creds
    assert KNOWN_PASSWORD not in config_file(harness, "eggroll-config", "eggroll.properties")


# -- exchange wiring, TLS, checksums -----------------------------------------------------------------------------


def test_exchange_sets_the_default_routes(harness):
    fc = deploy(harness, exchange=EXCHANGE)
    nginx = yaml.safe_load(config_file(harness, "nginx-config", "route_table.yaml"))
    assert nginx["default"]["proxy"] == [{"host": "10.9.9.9", "http_port": 9300, "grpc_port": 9310}]
    pulsar = yaml.safe_load(config_file(harness, "pulsar-route-table", "pulsar_route_table.yaml"))
    assert pulsar["default"] == {
        "proxy": "10.9.9.9:443",
        "domain": "fate.org",
        "brokerPort": 6650,
        "brokerSslPort": 6651,
    }
    assert harness.value(fc.exchange_connected) is True


def cluster_ip(harness, service: str) -> str:
    """The address the (mock) API server allocated to a Service."""
    body = harness.mocks.one(SVC, service)
    return mock_cluster_ip(body.name)


def test_own_routes_are_the_cluster_ips_of_nginx_and_fateflow_client(harness):
    deploy(harness, exchange=EXCHANGE)
    nginx = yaml.safe_load(config_file(harness, "nginx-config", "route_table.yaml"))
    own_nginx, own_flow = cluster_ip(harness, "nginx"), cluster_ip(harness, "fateflow-client")
    assert own_nginx != own_flow
    assert nginx[30000] == {
        "proxy": [{"host": own_nginx, "http_port": 9300, "grpc_port": 9310}],
        "fateflow": [{"host": own_flow, "http_port": 9380, "grpc_port": 9360}],
    }
    flow = harness.mocks.one(SVC, "fateflow-client").inputs["spec"]
    assert flow["selector"] == harness.mocks.one(STS, "python").inputs["spec"]["selector"]["matchLabels"]
    assert {p["port"] for p in flow["ports"]} == {9360, 9380}
    assert harness.mocks.one(SVC, "fateflow").inputs["spec"]["clusterIP"] == "None"  # headless: no address


def test_the_route_table_with_its_cluster_ips_is_in_the_nginx_checksum(harness):
    """A replaced Service gets a new cluster IP: the table's text changes, and with it the pods' checksum."""
    deploy(harness, exchange=EXCHANGE)
    data = harness.mocks.one(CM, "nginx-config").inputs["data"]
    files = {f"nginx-config/{key}": text for key, text in data.items()}
    assert annotation(harness, DEPLOY, "nginx") == config_checksum(files)
    moved = data["route_table.yaml"].replace(cluster_ip(harness, "fateflow-client"), "10.96.200.7")
    assert moved != data["route_table.yaml"]
    assert config_checksum({**files, "nginx-config/route_table.yaml": moved}) != config_checksum(files)


def test_route_table_is_unknown_while_the_cluster_ips_are(harness):
    """A preview of a new party: the Services have no address yet, the program still runs."""
    harness.preview = True
    harness.mocks.on_new[SVC] = lambda a: {"spec": {**a.inputs["spec"], "clusterIP": pulumi.UNKNOWN}}
    fc = deploy(harness, exchange=EXCHANGE)
    assert "nginx-config" in names(harness, CM)
    assert isinstance(harness.mocks.one(CM, "nginx-config").inputs["data"], type(pulumi.UNKNOWN))
    assert "service_conf.yaml" in harness.mocks.one(CM, "python-config").inputs["data"]
    assert harness.value(fc.namespace) == "fate-30000"


def test_without_exchange_the_party_is_pending(harness):
    fc = deploy(harness, exchange=pulumi.Output.from_input(None))
    nginx = yaml.safe_load(config_file(harness, "nginx-config", "route_table.yaml"))
    assert "default" not in nginx
    pulsar = yaml.safe_load(config_file(harness, "pulsar-route-table", "pulsar_route_table.yaml"))
    assert list(pulsar) == [30000]
    assert harness.value(fc.exchange_connected) is False


def test_pulsar_cert_secret_only_with_tls(harness):
    deploy(harness)
    assert "pulsar-cert" not in names(harness, SECRET)
    conf = config_file(harness, "pulsar-config", "standalone.conf")
    assert "tlsEnabled=false" in conf
    assert not any(v.get("name") == "pulsar-cert" for v in pod(harness, STS, "pulsar")["volumes"])


def test_tls_output_resolving_to_none_keeps_pulsar_plain_with_an_empty_cert_secret(harness):
    fc = deploy(harness, exchange=pulumi.Output.from_input(EXCHANGE), pulsar_tls=pulumi.Output.from_input(None))
    assert unsecret(harness.mocks.one(SECRET, "pulsar-cert").inputs["stringData"]) == {}
    assert not any(v.get("name") == "pulsar-cert" for v in pod(harness, STS, "pulsar")["volumes"])
    assert "tlsEnabled=false" in config_file(harness, "pulsar-config", "standalone.conf")
    assert harness.value(fc.exchange_connected) is True


def test_preview_registers_the_cert_secret_while_the_bundle_is_unknown():
    """In a preview an exchange output not yet known is unknown; the Secret must still be in the plan."""
    from tests.harness import Harness, new_event_loop

    new_event_loop()
    harness = Harness(preview=True)

    async def settled(value: Any) -> Any:
        return value

    unknown: pulumi.Output[Any] = pulumi.Output(set(), settled(None), settled(False), settled(True))
    deploy(harness, exchange=pulumi.Output.from_input(EXCHANGE), pulsar_tls=unknown)
    assert harness.mocks.one(SECRET, "pulsar-cert").k8s_namespace == "fate-30000"


def test_pulsar_tls_creates_the_cert_secret_and_turns_tls_on(harness):
    deploy(harness, pulsar_tls=pulumi.Output.secret(TLS))
    cert = harness.mocks.one(SECRET, "pulsar-cert").inputs
    assert cert["metadata"]["namespace"] == "fate-30000"
    assert unsecret(cert["stringData"]) == {
        "broker.cert.pem": TLS["certPem"],
        "broker.key-pk8.pem": TLS["keyPkcs8Pem"],
        "ca.cert.pem": TLS["caPem"],
    }
    conf = config_file(harness, "pulsar-config", "standalone.conf")
    assert "tlsEnabled=true" in conf and "brokerServicePortTls=6651" in conf
    pulsar = pod(harness, STS, "pulsar")
    assert {"name": "pulsar-cert", "secret": {"secretName": "pulsar-cert"}} in pulsar["volumes"]
    assert pulsar["containers"][0]["readinessProbe"]["tcpSocket"]["port"] == 6651
    for r in harness.mocks.registered:
        if r.typ != SECRET:
            assert TLS["keyPkcs8Pem"] not in json.dumps(r.inputs, default=str), r.name


def _annotations(harness, **kwargs) -> dict[str, str]:
    deploy(harness, **kwargs)
    return {
        name: annotation(harness, typ, name)
        for typ, name in ((DEPLOY, "nginx"), (STS, "python"), (STS, "pulsar"), (DEPLOY, "fateboard"))
    }


def test_checksum_changes_when_the_exchange_changes(harness):
    pending = _annotations(harness)
    harness.mocks.registered.clear()
    connected = _annotations(harness, exchange=EXCHANGE)
    assert connected["nginx"] != pending["nginx"]
    assert connected["python"] != pending["python"]  # pulsar route table
    assert connected["fateboard"] == pending["fateboard"]
    assert connected["pulsar"] == pending["pulsar"]


def test_checksum_changes_when_tls_arrives(harness):
    plain = _annotations(harness)
    harness.mocks.registered.clear()
    tls = _annotations(harness, pulsar_tls=TLS)
    assert tls["pulsar"] != plain["pulsar"]
    assert tls["nginx"] == plain["nginx"]


def test_checksum_changes_when_a_module_config_changes(harness):
    before = _annotations(harness)
    harness.mocks.registered.clear()
    deploy(harness, {**SEEDS, "fateboard": {"username": "ops"}})
    assert annotation(harness, DEPLOY, "fateboard") != before["fateboard"]
    assert annotation(harness, STS, "python") == before["python"]


def test_route_table_directory_is_mounted_without_sub_path(harness):
    deploy(harness)
    mounts = main_container(harness, DEPLOY, "nginx")["volumeMounts"]
    assert {"name": "nginx-confs", "mountPath": "/data/projects/fate/proxy/nginx/conf/modifiable/"} in mounts
    flow_mounts = main_container(harness, STS, "python")["volumeMounts"]
    route = next(m for m in flow_mounts if m["name"] == "pulsar-route-table")
    assert "subPath" not in route


# -- outputs ---------------------------------------------------------------------------------------------------


def test_endpoints_resolve_to_the_load_balancer_address(harness):
    fc = deploy(harness, lb={"ip": "192.0.2.10"})
    assert harness.value(fc.nginx_endpoint) == {"host": "192.0.2.10", "httpPort": 9300, "grpcPort": 9310}
    # Only the TLS port: the plain 6650 is not on the public load balancer (Service pulsar-public-tls).
    assert harness.value(fc.pulsar_endpoint) == {"host": "192.0.2.10", "sslPort": 6651}
    assert harness.value(fc.namespace) == "fate-30000"


def test_endpoints_accept_a_hostname(harness):
    fc = deploy(harness, lb={"hostname": "lb.example.com"})
    assert harness.value(fc.nginx_endpoint)["host"] == "lb.example.com"


def test_endpoints_are_none_until_an_address_is_assigned_or_without_a_load_balancer(harness):
    fc = deploy(harness)
    assert harness.value(fc.nginx_endpoint) is None
    harness.mocks.registered.clear()
    fc = deploy(harness, {"partyId": 30000, "backend": "spark-pulsar"}, lb={"ip": "192.0.2.10"})
    assert harness.value(fc.nginx_endpoint) is None and harness.value(fc.pulsar_endpoint) is None


def test_eggroll_party_has_no_nginx_or_pulsar_endpoint(harness):
    fc = deploy(harness, {"partyId": 9999, "backend": "eggroll"}, lb={"ip": "192.0.2.10"})
    assert harness.value(fc.nginx_endpoint) is None and harness.value(fc.pulsar_endpoint) is None
    assert harness.value(fc.exchange_connected) is False


# -- cluster YAML files and optional wiring -----------------------------------------------------------------------


def test_kubefate_cluster_yaml_deploys_with_its_node_ports(harness):
    from pathlib import Path

    from models.kubefate_yaml import load_cluster_yaml

    data = load_cluster_yaml(Path(__file__).parent / "fixtures" / "cluster-spark-pulsar.yaml")
    fc = deploy(harness, data)
    nginx = {p["port"]: p["nodePort"] for p in harness.mocks.one(SVC, "nginx").inputs["spec"]["ports"]}
    assert nginx == {9300: 30093, 9310: 30098}
    flow = {p["port"]: p["nodePort"] for p in harness.mocks.one(SVC, "fateflow-client").inputs["spec"]["ports"]}
    assert flow == {9360: 30092, 9380: 30097}
    routes = yaml.safe_load(config_file(harness, "nginx-config", "route_table.yaml"))
    assert routes[10000]["fateflow"] == [{"host": "192.168.10.1", "http_port": 30103, "grpc_port": 30108}]
    assert pod(harness, STS, "python")["imagePullSecrets"] == [{"name": "myregistrykey"}]
    assert harness.value(fc.fateboard_url) == "http://party9999.fateboard.example.com/"
    assert harness.value(fc.nginx_endpoint) is None  # NodePort: no load-balancer address to publish


def test_spark_and_pulsar_ingresses_only_when_configured(harness):
    deploy(harness, {**SEEDS, "ingress": {"spark": {"hosts": [{"name": "spark.30000.fate.local"}]}}})
    assert names(harness, "kubernetes:networking.k8s.io/v1:Ingress") == {"fateboard", "client", "spark"}
    rules = harness.mocks.one("kubernetes:networking.k8s.io/v1:Ingress", "spark").inputs["spec"]["rules"]
    assert rules[0]["http"]["paths"][0]["backend"]["service"] == {"name": "spark-client", "port": {"number": 8080}}


def test_direct_party_routes_reach_both_route_tables(harness):
    direct = {
        40000: {
            "nginx": {"host": "192.0.2.40", "httpPort": 9300, "grpcPort": 9310},
            "pulsar": {"host": "192.0.2.41", "sslPort": 6651},
        }
    }
    deploy(harness, route_parties=direct)
    nginx = yaml.safe_load(config_file(harness, "nginx-config", "route_table.yaml"))
    assert nginx[40000]["proxy"] == [{"host": "192.0.2.40", "http_port": 9300, "grpc_port": 9310}]
    pulsar = yaml.safe_load(config_file(harness, "pulsar-route-table", "pulsar_route_table.yaml"))
    assert pulsar[40000] == {"host": "192.0.2.41", "port": 6650, "sslPort": 6651, "proxy": ""}


def test_resource_requests_reach_the_containers(harness):
    deploy(harness)
    # The memory request doubles as the limit when the user sets none.
    assert main_container(harness, DEPLOY, "spark-worker")["resources"] == {
        "requests": {"cpu": "8", "memory": "16Gi"},
        "limits": {"memory": "16Gi"},
    }
    pulsar = main_container(harness, STS, "pulsar")
    assert pulsar["resources"]["requests"] == {"cpu": "4", "memory": "8Gi"}
    assert {"name": "PULSAR_MEM", "value": "-Xms4096m -Xmx4096m -XX:MaxDirectMemorySize=2048m"} in pulsar["env"]
