"""fateflow's service_conf.yaml and spark-defaults.conf, parsed back and checked key by key."""

from __future__ import annotations

import yaml

from components.fate_cluster.render_fateflow import (
    MYSQL_PASSWORD_PLACEHOLDER,
    computing_cores,
    render_service_conf,
    render_spark_defaults,
)
from models.fate import FateSpec


def spec(**extra) -> FateSpec:
    return FateSpec.model_validate({"partyId": 30000, "backend": "spark-pulsar", **extra})


def test_service_conf_for_spark_pulsar():
    conf = yaml.safe_load(render_service_conf(spec()))
    assert conf["party_id"] == "30000"
    assert conf["fateflow"]["host"] == "fateflow_ip"
    assert conf["fateflow"]["proxy_name"] == "nginx"
    assert conf["default_engines"] == {"computing": "spark", "federation": "pulsar", "storage": "hdfs"}
    assert conf["federation"]["pulsar"]["host"] == "pulsar"
    assert conf["federation"]["pulsar"]["route_table"] == "conf/pulsar_route_table/pulsar_route_table.yaml"
    assert conf["federation"]["nginx"] == {"host": "nginx", "http_port": 9300, "grpc_port": 9310, "protocol": "http"}
    assert conf["storage"]["hdfs"]["name_node"] == "hdfs://namenode:9000"
    assert "rabbitmq" not in conf["federation"]


def test_database_password_is_a_placeholder():
    text = render_service_conf(spec(mysql={"user": "flow", "database": "fate_flow"}))
    mysql = yaml.safe_load(text)["database"]["mysql"]
    assert mysql["passwd"] == MYSQL_PASSWORD_PLACEHOLDER
    assert (mysql["user"], mysql["name"], mysql["host"], mysql["port"]) == ("flow", "fate_flow", "mysql", 3306)
    assert "fate_dev" not in text


def test_eggroll_engines_and_osx_proxy():
    conf = yaml.safe_load(render_service_conf(FateSpec.model_validate({"partyId": 9, "backend": "eggroll"})))
    assert conf["default_engines"] == {"computing": "eggroll", "federation": "osx", "storage": "eggroll"}
    assert conf["fateflow"]["proxy_name"] == "osx"
    assert conf["computing"]["eggroll"] == {"cores": 4, "nodes": 2, "host": "clustermanager", "port": 4670}


def test_slim_uses_spark_engine_and_localfs():
    conf = yaml.safe_load(render_service_conf(FateSpec.model_validate({"partyId": 9, "backend": "spark-local-pulsar"})))
    assert conf["default_engines"] == {"computing": "spark", "federation": "pulsar", "storage": "localfs"}


def test_spark_cores_come_from_configuration_not_hard_coded():
    assert computing_cores(spec())["spark"] == 16  # 2 workers x 8 vCPU requested
    assert computing_cores(spec(spark={"worker": {"replicas": 3}}))["spark"] == 24
    explicit = spec(python={"spark": {"cores_per_node": 20, "nodes": 2}})
    assert yaml.safe_load(render_service_conf(explicit))["computing"]["spark"]["cores"] == 40


def test_a_derived_core_budget_never_falls_below_one_default_job():
    small = {"resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}
    tiny = spec(python=small, spark={"worker": {"replicas": 1, **small}})
    assert computing_cores(tiny)["standalone"] == 4
    assert computing_cores(tiny)["spark"] == 4
    chosen = spec(python={**small, "spark": {"cores_per_node": 1, "nodes": 2}})
    assert computing_cores(chosen)["spark"] == 2  # set explicitly: the operator's decision, not raised


def test_eggroll_cores_follow_nodemanagers():
    s = FateSpec.model_validate(
        {"partyId": 9, "backend": "eggroll", "nodemanager": {"replicas": 3, "sessionProcessorsPerNode": 8}}
    )
    assert yaml.safe_load(render_service_conf(s))["computing"]["eggroll"]["cores"] == 8
    assert yaml.safe_load(render_service_conf(s))["computing"]["eggroll"]["nodes"] == 3


def test_standalone_cores_follow_the_fateflow_request():
    s = spec(python={"resources": {"requests": {"cpu": "6"}}})
    assert yaml.safe_load(render_service_conf(s))["computing"]["standalone"]["cores"] == 6


def test_servings_and_zookeeper_defaults_use_the_real_party():
    conf = yaml.safe_load(render_service_conf(spec(servingIp="10.1.1.1", servingPort=30095)))
    assert conf["servings"]["hosts"] == ["10.1.1.1:30095"]
    assert conf["zookeeper"]["hosts"] == ["serving-zookeeper.fate-serving-30000:2181"]
    assert "password" not in conf["zookeeper"]


def test_spark_defaults_cluster_mode():
    text = render_spark_defaults(spec())
    lines = dict(line.split(None, 1) for line in text.strip().splitlines())
    assert lines == {"spark.master": "spark://spark-master:7077", "spark.driver.host": "fateflow"}


def test_spark_defaults_local_mode_and_ports():
    s = FateSpec.model_validate(
        {
            "partyId": 9,
            "backend": "spark-local-pulsar",
            "python": {
                "spark": {
                    "driverStartPort": 40000,
                    "portMaxRetries": 10,
                    "blockManagerStartPort": 41000,
                    "pysparkPython": "python3",
                }
            },
        }
    )
    lines = dict(line.split(None, 1) for line in render_spark_defaults(s).strip().splitlines())
    assert lines["spark.master"] == "local[*]"
    assert lines["spark.driver.port"] == "40000"
    assert lines["spark.port.maxRetries"] == "10"
    assert lines["spark.blockManager.port"] == "41000"
    assert lines["spark.driver.bindAddress"] == "0.0.0.0"
    assert lines["spark.pyspark.python"] == "python3"


def test_authentication_switches_are_off_unless_the_stack_turns_them_on():
    conf = yaml.safe_load(render_service_conf(spec()))
    assert conf["authentication"] == {"client": False, "site": False, "permission": False}
    assert conf["hook_module"]["site_authentication"] == "fate_flow.hook.flow.site_authentication"
    on = spec(python={"authentication": {"client": True, "site": True, "permission": True}})
    assert yaml.safe_load(render_service_conf(on))["authentication"] == {
        "client": True,
        "site": True,
        "permission": True,
    }


def test_an_unknown_authentication_switch_is_an_error():
    import pytest

    from models.errors import ConfigError
    from models.fate import parse_fate_spec

    with pytest.raises(ConfigError) as exc:
        parse_fate_spec({"partyId": 1, "backend": "spark-pulsar", "python": {"authentication": {"sites": True}}})
    assert any(p.startswith("fate.python.authentication.sites = True") for p in exc.value.problems), exc.value
