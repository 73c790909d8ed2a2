"""FateSpec: defaults, the backend shorthand and every validation rule with the exact message it prints."""

from __future__ import annotations

from typing import Any

import pytest

from models.errors import ConfigError, Problem
from models.fate import FateSpec, parse_fate_spec

BASE: dict[str, Any] = {"partyId": 30000, "backend": "spark-pulsar"}


def problems(data: dict[str, Any], prefix: str = "fate") -> list[Problem]:
    with pytest.raises(ConfigError) as exc:
        parse_fate_spec(data, prefix=prefix)
    return exc.value.problems


def one_problem(data: dict[str, Any]) -> str:
    found = problems(data)
    assert len(found) == 1, found
    return found[0]


def with_(**extra: Any) -> dict[str, Any]:
    return {**BASE, **extra}


# -- identity and defaults ------------------------------------------------------------------------------


def test_name_and_namespace_default_to_fate_party_id():
    spec = FateSpec.model_validate(BASE)
    assert (spec.party_id, spec.name, spec.namespace) == (30000, "fate-30000", "fate-30000")


def test_explicit_name_and_namespace_are_kept():
    spec = FateSpec.model_validate(with_(name="bank-a", namespace="fate-bank-a"))
    assert (spec.name, spec.namespace) == ("bank-a", "fate-bank-a")


def test_party_id_must_be_positive():
    assert one_problem(with_(partyId=0)) == (
        "fate.partyId = 0: party ids are positive integers. Fix: use the party's id, e.g. 30000"
    )


def test_party_id_must_be_an_integer():
    assert one_problem(with_(partyId="bank")).startswith("fate.partyId = 'bank': Input should be a valid integer")


def test_party_id_must_not_be_a_boolean():
    assert one_problem(with_(partyId=True)) == (
        "fate.partyId = True: a boolean is not a party id. Fix: use the party's id, e.g. 30000"
    )


def test_party_id_is_required():
    assert one_problem({"backend": "eggroll"}) == "fate.partyId = None: required key is missing. Fix: set it"


def test_namespace_must_be_a_kubernetes_name():
    assert one_problem(with_(namespace="Fate_1")) == (
        "fate.namespace = 'Fate_1': not a DNS label (lowercase letters, digits and '-', starting and ending "
        "alphanumeric, at most 63 characters; this is 6). Fix: use e.g. 'fate-1'"
    )


def test_chart_name_must_be_fate():
    assert one_problem(with_(chartName="fate-exchange")) == (
        "fate.chartName = 'fate-exchange': this program deploys chart 'fate' only. Fix: set chartName: fate or "
        "leave it out"
    )


def test_chart_version_must_be_v2():
    assert one_problem(with_(chartVersion="v1.11.2")) == (
        "fate.chartVersion = 'v1.11.2': this program implements chart fate v2.0.0. Fix: set chartVersion: v2.0.0 "
        "or leave it out; pick images with fateVersion"
    )


def test_fate_version_format():
    assert one_problem(with_(fateVersion="latest")) == (
        "fate.fateVersion = 'latest': not a version (MAJOR.MINOR.PATCH with an optional suffix). Fix: write e.g. "
        "'2.0.0'"
    )


def test_serving_needs_address_and_port():
    assert one_problem(with_(servingIp="10.1.1.1")) == (
        "fate.servingPort = None: servingIp is set, but FATE-Serving needs both address and port. Fix: set "
        "servingPort too, or remove servingIp"
    )


def test_unknown_keys_are_errors():
    assert one_problem(with_(pythn={})) == (
        "fate.pythn = {}: unknown key. Fix: write 'python' if that is what you meant, or remove it"
    )


def test_unknown_nested_keys_are_errors():
    assert one_problem(with_(python={"replica": 2})).startswith("fate.python.replica = 2: unknown key")


def test_prefix_from_context_names_the_source():
    found = problems({"partyId": -1, "backend": "eggroll"}, prefix="cluster.yaml")
    assert found[0].startswith("cluster.yaml.partyId = -1:")


# -- backend shorthand ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "computing", "federation", "storage", "modules"),
    [
        (
            "spark-pulsar",
            "Spark",
            "Pulsar",
            "HDFS",
            ["mysql", "python", "fateboard", "client", "spark", "hdfs", "nginx", "pulsar"],
        ),
        (
            "spark-local-pulsar",
            "Spark_local",
            "Pulsar",
            "LocalFS",
            ["mysql", "python", "fateboard", "client", "nginx", "pulsar"],
        ),
        (
            "eggroll",
            "Eggroll",
            "OSX",
            "Eggroll",
            ["mysql", "python", "fateboard", "client", "osx", "clustermanager", "nodemanager"],
        ),
    ],
)
def test_backend_shorthand_fills_the_engines_and_modules(backend, computing, federation, storage, modules):
    spec = FateSpec.model_validate({"partyId": 1, "backend": backend})
    assert (spec.computing, spec.federation, spec.storage, spec.modules) == (computing, federation, storage, modules)
    assert spec.backend_name == backend


def test_backend_and_agreeing_explicit_values_are_accepted():
    spec = FateSpec.model_validate(with_(computing="Spark", federation="Pulsar", storage="HDFS"))
    assert spec.computing == "Spark"


def test_backend_and_disagreeing_explicit_value_is_an_error():
    assert one_problem(with_(computing="Eggroll")) == (
        "fate.computing = 'Eggroll': backend 'spark-pulsar' means computing 'Spark'. Fix: remove computing "
        "(backend sets it) or make it 'Spark'"
    )


def test_backend_with_explicit_modules_checks_them_against_the_backend():
    assert one_problem(with_(modules=["mysql", "python", "fateboard", "client", "spark", "hdfs", "nginx"])) == (
        "fate.modules = ['mysql', 'python', 'fateboard', 'client', 'spark', 'hdfs', 'nginx']: computing 'Spark' "
        "with federation 'Pulsar' needs module 'pulsar'. Fix: add pulsar to modules"
    )


def test_unknown_backend_is_an_error():
    assert one_problem({"partyId": 1, "backend": "spark-rabbitmq"}).startswith(
        "fate.backend = 'spark-rabbitmq': Input should be 'spark-pulsar', 'spark-local-pulsar' or 'eggroll'"
    )


def test_without_backend_modules_are_required():
    assert one_problem({"partyId": 1, "computing": "Spark", "federation": "Pulsar", "storage": "HDFS"}) == (
        "fate.modules = None: no modules to deploy. Fix: set backend (spark-pulsar, spark-local-pulsar or eggroll) "
        "or list modules with computing, federation and storage"
    )


# -- KubeFATE's validator rules, as errors, updated for OSX ------------------------------------------------

SPARK = {"partyId": 1, "computing": "Spark", "federation": "Pulsar", "storage": "HDFS"}
SPARK_MODULES = ["mysql", "python", "fateboard", "client", "spark", "hdfs", "nginx", "pulsar"]


def test_common_modules_are_required():
    modules = [m for m in SPARK_MODULES if m != "fateboard"]
    assert one_problem({**SPARK, "modules": modules}) == (
        f"fate.modules = {modules!r}: common module 'fateboard' is missing. Fix: add fateboard: mysql, python "
        "and fateboard are part of every backend"
    )


def test_the_notebook_may_be_left_out():
    spec = FateSpec.model_validate({**SPARK, "modules": [m for m in SPARK_MODULES if m != "client"]})
    assert not spec.has("client")


def test_rollsite_module_is_named_as_replaced_by_osx():
    modules = ["mysql", "python", "fateboard", "client", "rollsite", "clustermanager", "nodemanager"]
    found = problems(
        {"partyId": 1, "computing": "Eggroll", "federation": "OSX", "storage": "Eggroll", "modules": modules}
    )
    assert "fate.modules = 'rollsite': replaced by osx in FATE v2.0.0. Fix: use osx" in found
    assert any("needs module 'osx'" in p for p in found)


def test_federation_eggroll_is_named_as_osx_in_v2():
    assert one_problem(
        {
            "partyId": 1,
            "computing": "Eggroll",
            "federation": "Eggroll",
            "storage": "Eggroll",
            "modules": ["mysql", "python", "fateboard", "client", "osx", "clustermanager", "nodemanager"],
        }
    ) == (
        "fate.federation = 'Eggroll': federation Eggroll meant rollsite in FATE 1.x; v2.0.0 federates eggroll "
        "through OSX. Fix: set federation: OSX"
    )


def test_eggroll_needs_osx_clustermanager_nodemanager():
    modules = ["mysql", "python", "fateboard", "client", "osx"]
    found = problems(
        {"partyId": 1, "computing": "Eggroll", "federation": "OSX", "storage": "Eggroll", "modules": modules}
    )
    assert found == [
        f"fate.modules = {modules!r}: computing 'Eggroll' with federation 'OSX' needs module 'clustermanager'. "
        "Fix: add clustermanager to modules",
        f"fate.modules = {modules!r}: computing 'Eggroll' with federation 'OSX' needs module 'nodemanager'. "
        "Fix: add nodemanager to modules",
    ]


def test_spark_needs_hdfs_storage():
    found = problems({**SPARK, "storage": "LocalFS", "modules": SPARK_MODULES})
    assert "fate.storage = 'LocalFS': computing 'Spark' stores data in 'HDFS'. Fix: set storage: HDFS" in found


def test_module_requires_matching_engine():
    found = problems(
        {
            "partyId": 1,
            "computing": "Spark_local",
            "federation": "Pulsar",
            "storage": "LocalFS",
            "modules": ["mysql", "python", "fateboard", "client", "nginx", "pulsar", "spark"],
        }
    )
    assert found == [
        "fate.modules = 'spark': module 'spark' needs computing Spark (computing is 'Spark_local'). Fix: remove "
        "spark from modules"
    ]


def test_hdfs_module_needs_hdfs_storage():
    found = problems(
        {
            "partyId": 1,
            "computing": "Spark_local",
            "federation": "Pulsar",
            "storage": "LocalFS",
            "modules": ["mysql", "python", "fateboard", "client", "nginx", "pulsar", "hdfs"],
        }
    )
    assert found == [
        "fate.modules = 'hdfs': module 'hdfs' needs storage HDFS (storage is 'LocalFS'). Fix: remove hdfs from modules"
    ]


def test_eggroll_modules_need_eggroll_computing():
    found = problems({**SPARK, "modules": [*SPARK_MODULES, "osx"]})
    assert found == [
        "fate.modules = 'osx': module 'osx' needs computing Eggroll (computing is 'Spark'). Fix: remove osx from "
        "modules"
    ]


def test_pulsar_federation_with_eggroll_is_an_error():
    found = problems(
        {
            "partyId": 1,
            "computing": "Eggroll",
            "federation": "Pulsar",
            "storage": "Eggroll",
            "modules": ["mysql", "python", "fateboard", "client", "osx", "clustermanager", "nodemanager"],
        }
    )
    assert "fate.federation = 'Pulsar': computing 'Eggroll' federates through 'OSX'. Fix: set federation: OSX" in found


def test_unknown_and_duplicate_modules():
    found = problems(with_(modules=[*SPARK_MODULES, "pulsar", "zookeeper"]))
    assert "fate.modules = ['pulsar']: modules listed more than once. Fix: list each module once" in found
    assert any(p.startswith("fate.modules = 'zookeeper': unknown module. Fix: use modules from mysql,") for p in found)


CORE = ["mysql", "python", "fateboard", "nginx", "pulsar"]  # spark-local-pulsar's modules without the notebook


def test_notebook_settings_without_the_notebook_are_an_error():
    base = {"partyId": 1, "backend": "spark-local-pulsar", "modules": CORE}
    assert one_problem({**base, "client": {"size": "1Gi"}}) == (
        "fate.client = '{...}': module 'client' is not deployed, so its settings would be ignored. Fix: add client "
        "to modules or remove the client block"
    )
    assert one_problem({**base, "ingress": {"client": {"hosts": [{"name": "notebook.example.org"}]}}}) == (
        "fate.ingress.client = '{...}': module 'client' is not deployed. Fix: remove ingress.client"
    )


def test_block_of_a_module_that_is_not_deployed_is_an_error():
    assert one_problem({"partyId": 1, "backend": "eggroll", "pulsar": {"type": "LoadBalancer"}}) == (
        "fate.pulsar = '{...}': module 'pulsar' is not deployed, so its settings would be ignored. Fix: add pulsar "
        "to modules or remove the pulsar block"
    )


# -- keys refused by name -----------------------------------------------------------------------------------


def test_istio_enabled_is_refused_by_name():
    assert one_problem(with_(istio={"enabled": True})) == (
        "fate.istio.enabled = True: Istio gateways are not implemented; fateboard and notebook are exposed through "
        "Ingresses. Fix: set istio.enabled: false and use ingress/ingressClassName"
    )


def test_istio_disabled_is_accepted():
    assert FateSpec.model_validate(with_(istio={"enabled": False}, podSecurityPolicy={"enabled": False}))


def test_pod_security_policy_is_refused_by_name():
    assert one_problem(with_(podSecurityPolicy={"enabled": True})) == (
        "fate.podSecurityPolicy.enabled = True: the PodSecurityPolicy API was removed in Kubernetes 1.25; the "
        "namespace is labelled for Pod Security Admission instead. Fix: set podSecurityPolicy.enabled: false or "
        "remove it"
    )


def test_rabbitmq_is_refused_by_name():
    assert one_problem(with_(rabbitmq={"type": "NodePort"})) == (
        "fate.rabbitmq = {'type': 'NodePort'}: RabbitMQ federation is not supported: parties federate through "
        "Pulsar and the exchange. Fix: remove it and use federation: Pulsar (backend: spark-pulsar)"
    )


def test_lbrollsite_and_rollsite_are_refused_by_name():
    found = problems({"partyId": 1, "backend": "eggroll", "lbrollsite": {"size": "2M"}, "rollsite": {}})
    assert found == [
        "fate.lbrollsite = {'size': '2M'}: the FATE 1.x rollsite load balancer has no role in FATE 2.0.0, where "
        "eggroll federates through osx. Fix: remove it",
        "fate.rollsite = {}: rollsite was replaced by osx in FATE v2.0.0. Fix: rename the block to osx",
    ]


def test_password_keys_are_refused_and_not_echoed():
    found = problems(with_(mysql={"password": "fate_dev"}, fateboard={"password": "admin"}))
    assert found == [
        f"fate.{key} = '<redacted>': passwords are generated with pulumi-random and delivered through Kubernetes "
        "Secrets; one in the stack configuration would be stored in plain text. Fix: remove it; the generated "
        "password is in the party namespace's credentials Secret"
        for key in ("mysql.password", "fateboard.password")
    ]
    assert not any("fate_dev" in p for p in found)


def test_external_mysql_is_refused():
    assert one_problem(with_(externalMysqlIp="db.example.com")) == (
        "fate.externalMysqlIp = 'db.example.com': an external MySQL is not supported; the party's mysql module is "
        "deployed with a generated password. Fix: remove it"
    )


def test_static_exchange_addresses_are_refused():
    assert one_problem(with_(pulsar={"exchange": {"ip": "1.2.3.4", "port": 30000, "domain": "fate.org"}})) == (
        "fate.pulsar.exchange = {'ip': '1.2.3.4', 'port': 30000, 'domain': 'fate.org'}: the exchange endpoint is "
        "wired from the exchange stack, not from static addresses. Fix: remove it and set the party stack's "
        "exchange.stack"
    )


def test_keys_fate2_ignores_are_refused():
    assert one_problem(with_(python={"failedTaskAutoRetryTimes": 5})) == (
        "fate.python.failedTaskAutoRetryTimes = 5: ignored by FATE 2.0.0's fateflow (upstream passes it, §12.12). "
        "Fix: remove it"
    )


def test_top_level_image_tag_is_refused():
    assert one_problem(with_(imageTag="1.7.2-release")) == (
        "fate.imageTag = '1.7.2-release': top-level imageTag left the cluster YAML in chart v1.9.0. Fix: use "
        "fateVersion (tags <version>-release) or a module's imageTag"
    )


def test_osx_tls_and_polling_are_refused():
    found = problems(
        {"partyId": 1, "backend": "eggroll", "osx": {"enableTLS": True, "polling": {"enabled": True, "type": "server"}}}
    )
    assert found == [
        "fate.osx.enableTLS = True: osx TLS needs the eggroll-certs Secret, which this program does not create "
        "yet. Fix: set osx.enableTLS: false or remove it",
        "fate.osx.polling = {'enabled': True, 'type': 'server'}: osx polling is ignored by FATE v2.0.0 (facts "
        "§12.3). Fix: remove it; parties reach each other through osx.exchange or osx.partyList",
    ]


def test_disabled_osx_polling_is_accepted():
    assert FateSpec.model_validate({"partyId": 1, "backend": "eggroll", "osx": {"polling": {"enabled": False}}})


# -- persistence --------------------------------------------------------------------------------------------


def test_storage_class_required_when_persistence_is_on():
    assert one_problem(with_(persistence=True)) == (
        "fate.storageClass = None: persistence is on but no storage class is set for mysql, python, client, "
        "hdfs.namenode, hdfs.datanode, pulsar. Fix: set storageClass (e.g. vsan-default-storage-policy) or the "
        "module's storageClass"
    )


def test_module_storage_classes_or_existing_claims_satisfy_persistence():
    spec = FateSpec.model_validate(
        {
            "partyId": 1,
            "backend": "spark-local-pulsar",
            "persistence": True,
            "python": {"storageClass": "fast"},
            "mysql": {"existingClaim": "mysql-old"},
            "client": {"storageClass": "slow"},
            "pulsar": {"storageClass": "fast"},
        }
    )
    assert spec.volume("python").storage_class == "fast"
    assert spec.volume("mysql").existing_claim == "mysql-old"


def test_module_storage_class_overrides_top_level():
    spec = FateSpec.model_validate(with_(persistence=True, storageClass="vsan", python={"storageClass": "fast"}))
    assert (spec.volume("python").storage_class, spec.volume("mysql").storage_class) == ("fast", "vsan")


def test_storage_keys_without_persistence_are_errors():
    found = problems(with_(storageClass="vsan", mysql={"size": "20Gi"}))
    assert found == [
        "fate.storageClass = 'vsan': persistence is off, so no volume claim would use it. Fix: set persistence: "
        "true or remove it",
        "fate.mysql.size = '20Gi': persistence is off, so the volume is an emptyDir and this would be ignored. "
        "Fix: set persistence: true or remove it",
    ]


def test_existing_claim_shared_by_replicas_is_an_error():
    assert one_problem(
        {
            "partyId": 1,
            "backend": "eggroll",
            "persistence": True,
            "storageClass": "vsan",
            "nodemanager": {"existingClaim": "nm-data"},
        }
    ) == (
        "fate.nodemanager.existingClaim = 'nm-data': all 2 replicas would mount this one claim. Fix: leave it out "
        "so each replica gets its own claim, or run one replica"
    )
    assert FateSpec.model_validate(
        {
            "partyId": 1,
            "backend": "eggroll",
            "persistence": True,
            "storageClass": "vsan",
            "nodemanager": {"existingClaim": "nm-data", "replicas": 1},
        }
    )


def test_keep_volumes_on_destroy_defaults_to_true():
    assert FateSpec.model_validate(BASE).keep_volumes_on_destroy is True


# -- services and node ports ----------------------------------------------------------------------------------


def test_node_port_range():
    assert one_problem(with_(nginx={"type": "NodePort", "httpNodePort": 9300})) == (
        "fate.nginx.httpNodePort = 9300: outside Kubernetes' default NodePort range 30000-32767. Fix: use a port "
        "between 30000 and 32767"
    )


def test_node_port_clash_across_modules():
    assert one_problem(
        with_(nginx={"type": "NodePort", "httpNodePort": 30093}, pulsar={"type": "NodePort", "httpsNodePort": 30093})
    ) == (
        "fate.pulsar.httpsNodePort = 30093: node port already used by nginx.httpNodePort. Fix: give every node "
        "port its own number"
    )


def test_node_port_needs_a_service_type_that_opens_it():
    assert one_problem(with_(python={"httpNodePort": 30097})) == (
        "fate.python.httpNodePort = 30097: node ports are only opened for type NodePort or LoadBalancer "
        "(python.type is 'ClusterIP'). Fix: set python.type: NodePort or remove it"
    )


def test_load_balancer_ip_needs_load_balancer_type():
    assert one_problem(with_(nginx={"type": "NodePort", "loadBalancerIP": "10.0.0.9"})) == (
        "fate.nginx.loadBalancerIP = '10.0.0.9': only a LoadBalancer Service uses it. Fix: set nginx.type: "
        "LoadBalancer or remove it"
    )


def test_service_type_values():
    assert one_problem(with_(nginx={"type": "External"})).startswith(
        "fate.nginx.type = 'External': Input should be 'ClusterIP', 'NodePort' or 'LoadBalancer'"
    )


# -- images -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("registry", ["harbor.example.com", "harbor.example.com/", "harbor.example.com:5000/fate"])
def test_registry_is_a_prefix_normalised_to_end_with_a_slash(registry):
    spec = FateSpec.model_validate(with_(registry=registry))
    assert spec.registry == registry.rstrip("/") + "/"


def test_empty_registry_stays_empty():
    assert FateSpec.model_validate(with_(registry="")).registry == ""


def test_registry_format():
    assert one_problem(with_(registry="https://harbor")) == (
        "fate.registry = 'https://harbor/': not a registry prefix (host[:port][/path]). Fix: use e.g. "
        "harbor.example.com/ or harbor.example.com:5000/mirror, or leave it empty for Docker Hub"
    )


def test_image_and_tag_format():
    found = problems(with_(python={"image": "federatedai/fateflow:2.0.0", "imageTag": "bad tag"}))
    assert found == [
        "fate.python.image = 'federatedai/fateflow:2.0.0': an image repository without tag or digest here (the tag "
        "comes from imageTag). Fix: write 'federatedai/fateflow' and put the tag in imageTag",
        "fate.python.imageTag = 'bad tag': not an image tag (letters, digits, '_', '.', '-'; at most 128; not "
        "starting with '.' or '-'). Fix: write e.g. '2.0.0-release'",
    ]


# -- resources, routes, ingress ---------------------------------------------------------------------------------


def test_resource_quantities_are_checked():
    found = problems(with_(python={"resources": {"requests": {"cpu": "four"}}}))
    assert found == [
        "fate.python.resources.requests.cpu = 'four': not a Kubernetes quantity. Fix: write e.g. 4, '500m', '8Gi' "
        "or '512Mi'"
    ]


def test_extended_resources_must_be_limits():
    assert one_problem(with_(python={"resources": {"requests": {"nvidia.com/gpu": 1}}})) == (
        "fate.python.resources.requests.nvidia.com/gpu = 1: extended resources (GPUs and the like) must be set as "
        "limits. Fix: move it to resources.limits.nvidia.com/gpu"
    )
    assert FateSpec.model_validate(with_(python={"resources": {"limits": {"nvidia.com/gpu": 1}}}))


def test_request_above_limit_is_an_error():
    assert one_problem(with_(python={"resources": {"requests": {"memory": "16Gi"}, "limits": {"memory": "8Gi"}}})) == (
        "fate.python.resources.requests.memory = '16Gi': request above its limit '8Gi'. Fix: lower the request or "
        "raise the limit"
    )


def test_own_party_in_nginx_route_table_is_an_error():
    route = {"proxy": [{"host": "1.1.1.1", "http_port": 1, "grpc_port": 2}]}
    assert one_problem(with_(nginx={"route_table": {30000: route}})) == (
        "fate.nginx.route_table.30000 = '{...}': the party's own nginx route is added by the cluster itself (facts "
        "§12.9). Fix: remove your own party from the table"
    )


def test_duplicate_ingress_hosts_are_an_error():
    found = problems(
        with_(
            ingress={
                "fateboard": {"hosts": [{"name": "ui.example.com"}]},
                "client": {"hosts": [{"name": "ui.example.com"}]},
            }
        )
    )
    assert found == [
        "fate.ingress.client.hosts[0].name = 'ui.example.com': host already used by ingress.fateboard. Fix: give "
        "every UI its own host"
    ]


def test_ingress_path_must_be_absolute():
    assert one_problem(with_(ingress={"fateboard": {"hosts": [{"name": "b.example.com", "path": "board"}]}})) == (
        "fate.ingress.fateboard.hosts[0].path = 'board': an Ingress path is absolute. Fix: use /board"
    )


def test_ingress_host_format():
    assert one_problem(with_(ingress={"fateboard": {"hosts": [{"name": "http://x"}]}})) == (
        "fate.ingress.fateboard.hosts[0].name = 'http://x': a host is an address only, without scheme, port or "
        "path. Fix: write 'x' (ports are separate keys)"
    )


def test_several_problems_are_reported_together():
    found = problems(with_(partyId=0, istio={"enabled": True}, persistence=True))
    assert len(found) == 3
    assert [p.split(" = ")[0] for p in found] == ["fate.partyId", "fate.istio.enabled", "fate.storageClass"]
