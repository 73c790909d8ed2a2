"""Route tables with and without the exchange, with user entries and direct party routes."""

from __future__ import annotations

import pytest
import yaml

from components.fate_cluster.render_routes import SelfAddresses, render_nginx_route_table, render_pulsar_route_table
from models.fate import FateSpec

EXCHANGE = {
    "host": "10.9.9.9",
    "nginxHttpPort": 9300,
    "nginxGrpcPort": 9310,
    "atsPort": 443,
    "domain": "fate.org",
    "brokerPort": 6650,
    "brokerSslPort": 6651,
}


OWN = SelfAddresses(nginx="10.96.0.10", fateflow="10.96.0.11")


def spec(**extra) -> FateSpec:
    return FateSpec.model_validate({"partyId": 30000, "backend": "spark-pulsar", **extra})


def test_nginx_default_route_points_at_the_exchange():
    table = yaml.safe_load(render_nginx_route_table(spec(), EXCHANGE, OWN))
    assert table["default"] == {"proxy": [{"host": "10.9.9.9", "http_port": 9300, "grpc_port": 9310}]}


def test_nginx_own_entries_are_the_addresses_given():
    table = yaml.safe_load(render_nginx_route_table(spec(), EXCHANGE, OWN))
    assert table[30000] == {
        "proxy": [{"host": "10.96.0.10", "http_port": 9300, "grpc_port": 9310}],
        "fateflow": [{"host": "10.96.0.11", "http_port": 9380, "grpc_port": 9360}],
    }
    v6 = yaml.safe_load(render_nginx_route_table(spec(), None, SelfAddresses(nginx="fd00::a", fateflow="fd00::b")))
    assert [e["host"] for e in (*v6[30000]["proxy"], *v6[30000]["fateflow"])] == ["fd00::a", "fd00::b"]


@pytest.mark.parametrize("role", ["nginx", "fateflow"])
@pytest.mark.parametrize("value", ["fateflow", "nginx.fate-30000.svc.cluster.local", "", None])
def test_nginx_own_entries_refuse_names(role, value):
    """A name would reach ngx.balancer.set_current_peer, which refuses it ('no host allowed')."""
    addresses = {"nginx": "10.96.0.10", "fateflow": "10.96.0.11", role: value}
    with pytest.raises(ValueError, match=rf"own {role} route needs an IP address, got {value!r}"):
        SelfAddresses(**addresses)


def test_nginx_without_exchange_has_no_default_route():
    table = yaml.safe_load(render_nginx_route_table(spec(), None, OWN))
    assert "default" not in table
    assert list(table) == [30000]


def test_nginx_user_routes_and_direct_party_routes():
    s = spec(
        nginx={"route_table": {40000: {"fateflow": [{"host": "1.1.1.1", "http_port": 30103, "grpc_port": 30108}]}}}
    )
    extra = {
        50000: {"nginx": {"host": "2.2.2.2", "httpPort": 9300, "grpcPort": 9310}, "pulsar": None},
        40000: {"nginx": {"host": "9.9.9.9", "httpPort": 1, "grpcPort": 2}},
    }
    table = yaml.safe_load(render_nginx_route_table(s, EXCHANGE, OWN, extra))
    assert table[40000] == {"fateflow": [{"host": "1.1.1.1", "http_port": 30103, "grpc_port": 30108}]}
    assert table[50000]["proxy"] == [{"host": "2.2.2.2", "http_port": 9300, "grpc_port": 9310}]


def test_pulsar_default_route_is_the_exchange_sni_proxy():
    table = yaml.safe_load(render_pulsar_route_table(spec(), EXCHANGE))
    assert table["default"] == {
        "proxy": "10.9.9.9:443",
        "domain": "fate.org",
        "brokerPort": 6650,
        "brokerSslPort": 6651,
    }
    assert table[30000] == {"host": "pulsar", "port": 6650, "sslPort": 6651, "proxy": ""}


def test_pulsar_default_route_uses_the_ats_address_when_it_has_its_own():
    table = yaml.safe_load(render_pulsar_route_table(spec(), {**EXCHANGE, "atsHost": "10.9.9.10"}))
    assert table["default"] == {
        "proxy": "10.9.9.10:443",
        "domain": "fate.org",
        "brokerPort": 6650,
        "brokerSslPort": 6651,
    }


def test_pulsar_without_exchange_only_knows_itself():
    assert yaml.safe_load(render_pulsar_route_table(spec(), None)) == {
        30000: {"host": "pulsar", "port": 6650, "sslPort": 6651, "proxy": ""}
    }


def test_pulsar_self_entry_is_added_to_a_user_table():
    s = spec(pulsar={"route_table": {40000: {"host": "1.1.1.1", "port": 30104, "sslPort": 30109, "proxy": ""}}})
    table = yaml.safe_load(render_pulsar_route_table(s, None))
    assert set(table) == {30000, 40000}
    assert table[40000]["sslPort"] == 30109


def test_pulsar_direct_party_routes():
    extra = {40000: {"pulsar": {"host": "3.3.3.3", "sslPort": 6651}}}
    table = yaml.safe_load(render_pulsar_route_table(spec(), EXCHANGE, extra))
    assert table[40000] == {"host": "3.3.3.3", "port": 6650, "sslPort": 6651, "proxy": ""}
