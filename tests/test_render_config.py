"""The other rendered files: pulsar, hdfs, fateboard, eggroll/osx, nginx.conf, and the checksum."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from components.fate_cluster.checksum import config_checksum
from components.fate_cluster.render_eggroll import (
    DASHBOARD_PASSWORD_PLACEHOLDER,
    render_broker_properties,
    render_eggroll_properties,
    render_osx_route_table,
)
from components.fate_cluster.render_fateboard import render_application_properties
from components.fate_cluster.render_fateflow import MYSQL_PASSWORD_PLACEHOLDER
from components.fate_cluster.render_hdfs import hdfs_env, render_core_site
from components.fate_cluster.render_nginx import render_nginx_conf
from components.fate_cluster.render_pulsar import render_standalone_conf
from models.fate import FateSpec


def props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def spark(**extra) -> FateSpec:
    return FateSpec.model_validate({"partyId": 30000, "backend": "spark-pulsar", **extra})


def eggroll(**extra) -> FateSpec:
    return FateSpec.model_validate({"partyId": 9999, "backend": "eggroll", **extra})


def test_standalone_conf_plain():
    conf = props(render_standalone_conf(spark(), tls=False))
    assert (conf["brokerServicePort"], conf["webServicePort"], conf["tlsEnabled"]) == ("6650", "8080", "false")
    assert "brokerServicePortTls" not in conf
    assert conf["managedLedgerDefaultEnsembleSize"] == "1"
    assert conf["backlogQuotaDefaultLimitGB"] == "10"


def test_standalone_conf_tls_serves_both_listeners():
    conf = props(render_standalone_conf(spark(), tls=True))
    assert (conf["brokerServicePort"], conf["brokerServicePortTls"], conf["webServicePortTls"]) == (
        "6650",
        "6651",
        "8081",
    )
    assert conf["tlsEnabled"] == "true"
    assert conf["tlsCertificateFilePath"] == "/opt/pulsar/certs/broker.cert.pem"
    assert conf["tlsKeyFilePath"] == "/opt/pulsar/certs/broker.key-pk8.pem"
    assert conf["tlsTrustCertsFilePath"] == "/opt/pulsar/certs/ca.cert.pem"


def test_standalone_conf_honours_confs():
    s = spark(pulsar={"confs": {"backlogQuotaDefaultLimitGB": 20, "brokerDeleteInactiveTopicsFrequencySeconds": 30}})
    conf = props(render_standalone_conf(s, tls=False))
    assert (conf["backlogQuotaDefaultLimitGB"], conf["brokerDeleteInactiveTopicsFrequencySeconds"]) == ("20", "30")


def test_core_site_is_xml_with_the_default_fs():
    root = ET.fromstring(render_core_site().split("\n", 2)[2])
    values = {p.findtext("name"): p.findtext("value") for p in root.iter("property")}
    assert values == {"fs.default.name": "hdfs://0.0.0.0:9000"}


def test_hdfs_env_points_at_the_namenode():
    env = hdfs_env()
    assert env["CORE_CONF_fs_defaultFS"] == "hdfs://namenode:9000"
    assert env["HDFS_CONF_dfs_permissions_enabled"] == "false"
    assert not any(k.startswith("YARN_CONF") for k in env)


def test_fateboard_properties_without_password():
    conf = props(render_application_properties(spark(python={"replicas": 2}, fateboard={"username": "ops"})))
    assert conf["fateflow.url-list"] == "http://python-0.fateflow:9380;http://python-1.fateflow:9380"
    assert conf["server.board.login.username"] == "ops"
    assert "server.board.login.password" not in conf


def test_eggroll_properties_with_placeholders():
    conf = props(render_eggroll_properties(eggroll(clustermanager={"mysqlServerTimezone": "Asia/Shanghai"})))
    assert conf["eggroll.resourcemanager.clustermanager.jdbc.password"] == MYSQL_PASSWORD_PLACEHOLDER
    assert conf["eggroll.security.login.password"] == DASHBOARD_PASSWORD_PLACEHOLDER
    assert conf["eggroll.resourcemanager.clustermanager.jdbc.url"] == (
        "jdbc:mysql://mysql:3306/eggroll_meta?useSSL=false&serverTimezone=Asia/Shanghai&characterEncoding=utf8"
        "&allowPublicKeyRetrieval=true"
    )
    assert conf["eggroll.resourcemanager.process.tag"] == "9999"
    assert conf["eggroll.session.processors.per.node"] == "4"


def test_osx_broker_uses_the_real_party_id():
    assert props(render_broker_properties(eggroll()))["self.party"] == "9999"
    other = FateSpec.model_validate({"partyId": 40000, "backend": "eggroll"})
    assert props(render_broker_properties(other))["self.party"] == "40000"


def test_osx_route_table_with_exchange_default_and_parties():
    s = eggroll(
        osx={
            "exchange": {"ip": "10.0.0.1", "port": 30000},
            "partyList": [{"partyId": 10000, "partyIp": "10.0.0.2", "partyPort": 30101}],
        }
    )
    table = json.loads(render_osx_route_table(s))
    assert table["route_table"]["default"] == {"default": [{"ip": "10.0.0.1", "port": 30000}]}
    assert table["route_table"]["10000"] == {"default": [{"ip": "10.0.0.2", "port": 30101}]}
    assert table["route_table"]["9999"] == {"fateflow": [{"ip": "fateflow", "port": 9360}]}
    assert table["self_party"] == ["9999"]


def test_osx_route_table_without_exchange_has_no_default():
    assert "default" not in json.loads(render_osx_route_table(eggroll()))["route_table"]


def test_nginx_conf_uses_the_lua_balancer():
    text = render_nginx_conf()
    assert text.count("balancer_by_lua_file 'lua/balancer.lua';") == 2
    assert "include vhost/*.conf;" in text
    assert text.count("{") == text.count("}")


def test_checksum_changes_with_content_and_name_only():
    base = config_checksum({"a": "x", "b": "y"})
    assert base == config_checksum({"b": "y", "a": "x"})
    assert base != config_checksum({"a": "x", "b": "z"})
    assert base != config_checksum({"a": "x", "c": "y"})
    assert config_checksum({"ab": "c"}) != config_checksum({"a": "bc"})
