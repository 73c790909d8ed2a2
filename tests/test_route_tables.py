"""Pure renderers of the exchange: nginx route table, ATS sni.yaml/records.config, rollout annotations."""

from __future__ import annotations

import pytest
import yaml

from components.contracts import NginxEndpoint, PulsarEndpoint
from components.exchange import ats_config, rollout, routes
from components.exchange.endpoints import PartyEndpoints, membership, party_endpoints
from components.sealed import Sealed


def nginx_ep(i: int) -> NginxEndpoint:
    return {"host": f"10.1.{i // 250}.{i % 250 + 1}", "httpPort": 9300, "grpcPort": 9310}


def pulsar_ep(i: int, ssl: int = 6651) -> PulsarEndpoint:
    return {"host": f"10.2.{i // 250}.{i % 250 + 1}", "sslPort": ssl}


def parties(n: int) -> list[int]:
    return [10000 + i for i in range(n)]


@pytest.mark.parametrize("n", [0, 1, 2, 200])
def test_nginx_route_table_has_one_entry_per_party_and_no_default(n):
    """No self-pointing ``default``: FATE's balancer refuses the name, and the address would loop."""
    ids = parties(n)
    table = yaml.safe_load(routes.nginx_route_table_yaml({p: nginx_ep(i) for i, p in enumerate(ids)}))
    assert sorted(table) == ids
    for i, p in enumerate(ids):
        hop = {"host": nginx_ep(i)["host"], "http_port": 9300, "grpc_port": 9310}
        assert table[p] == {"proxy": [hop], "fateflow": [hop]}


def test_nginx_route_table_keys_are_yaml_integers_and_ordered():
    text = routes.nginx_route_table_yaml({"40000": nginx_ep(1), 30000: nginx_ep(0)})
    assert text.startswith("30000:\n") and "\n40000:\n" in text and "'30000'" not in text
    assert text.index("30000:") < text.index("40000:")


def test_nginx_route_table_skips_parties_without_endpoint():
    table = yaml.safe_load(routes.nginx_route_table_yaml({30000: None, 40000: nginx_ep(0)}))
    assert list(table) == [40000]


@pytest.mark.parametrize("n", [0, 1, 2, 200])
def test_sni_yaml_tunnels_each_party_fqdn_to_its_pulsar_tls_port(n):
    ids = parties(n)
    doc = yaml.safe_load(ats_config.sni_yaml("fate.org", {p: pulsar_ep(i) for i, p in enumerate(ids)}))
    assert [e["fqdn"] for e in doc["sni"]] == [f"{p}.fate.org" for p in ids]
    assert [e["tunnel_route"] for e in doc["sni"]] == [f"{pulsar_ep(i)['host']}:6651" for i in range(n)]


def test_libyaml_renders_the_same_text_as_pure_python_yaml():
    """The files are dumped with libyaml for speed; a change of emitter must not change a byte (a changed file
    changes the pods' checksum, hence rolls them on upgrade)."""
    ids = parties(200)
    docs = [
        routes.nginx_route_table({p: nginx_ep(i) for i, p in enumerate(ids)}),
        {"sni": ats_config.sni_entries("fate.org", {p: pulsar_ep(i) for i, p in enumerate(ids)})},
        {"sni": ats_config.sni_entries("x" * 120 + ".org", {1: {"host": "fd00::5", "sslPort": 6651}})},
    ]
    for doc in docs:
        assert routes.dump_yaml(doc) == yaml.dump(
            doc, Dumper=yaml.SafeDumper, default_flow_style=False, sort_keys=False
        )


def test_sealed_party_tables_render_like_dicts():
    """The exchange hands its tables to the renderers sealed (components/sealed.py): same text as from dicts."""
    table = {str(p): nginx_ep(i) for i, p in enumerate(parties(3))}
    assert routes.nginx_route_table_yaml(Sealed(table)) == routes.nginx_route_table_yaml(table)
    assert Sealed(table) == table and dict(Sealed(table)) == table


def test_sni_brackets_ipv6_hosts():
    v6: PulsarEndpoint = {"host": "fd00::5", "sslPort": 6651}
    doc = yaml.safe_load(ats_config.sni_yaml("fate.org", {1: v6}))
    assert doc["sni"][0]["tunnel_route"] == "[fd00::5]:6651"


def test_port_ranges_merge_adjacent_ports():
    assert ats_config.port_ranges([]) == ""
    assert ats_config.port_ranges([443]) == "443"
    assert ats_config.port_ranges([6651, 443, 6652, 6653, 30099, 6651]) == "443 6651-6653 30099"


def test_connect_ports_follow_the_routed_endpoints():
    eps = {1: pulsar_ep(0, 6651), 2: pulsar_ep(1, 443), 3: pulsar_ep(2, 31999), 4: None}
    assert ats_config.connect_ports(eps) == "443 6651 31999"
    assert ats_config.connect_ports({}) == "443"


def test_records_config_lines():
    text = ats_config.records_config({1: pulsar_ep(0, 30109)})
    lines = text.splitlines()
    assert "CONFIG proxy.config.http.connect_ports STRING 443 30109" in lines
    assert "CONFIG proxy.config.http.server_ports STRING 8080 8080:ipv6 443:ssl" in lines
    assert "CONFIG proxy.config.ssl.CA.cert.path STRING /opt/proxy" in lines
    assert "CONFIG proxy.config.ssl.servername.filename STRING sni/sni.yaml" in lines
    # ssl_key_name is looked up here, not in the configuration directory (where no key is mounted)
    assert "CONFIG proxy.config.ssl.server.private_key.path STRING /opt/proxy" in lines
    assert all(line.startswith("CONFIG ") for line in lines)
    assert "6650-6700" not in text


def test_ats_pod_gives_the_certificate_secret_to_the_server_group():
    from components.exchange import manifests
    from models.exchange import TrafficServerConfig

    spec = manifests.ats_pod_spec(TrafficServerConfig.model_validate({"imageTag": "9.2"}), "cfg", "sni", [])
    cert = next(v for v in spec["volumes"] if v["name"] == "cert")["secret"]
    assert spec["securityContext"]["fsGroup"] == ats_config.SERVER_GID == 65534
    assert cert["defaultMode"] == 0o440  # group-readable: traffic_server runs as nobody/nogroup


def test_ssl_multicert_names_the_secret_files():
    expected = "dest_ip=* ssl_cert_name=proxy.cert.pem ssl_key_name=proxy.key.pem\n"
    assert ats_config.ssl_multicert_config() == expected


def test_route_annotations_name_each_party():
    ann = rollout.nginx_route_annotations({30000: nginx_ep(0), 40000: None})
    assert ann == {"route.kubefate.io/party-30000": "10.1.0.1:9300/9310"}
    sni = rollout.sni_route_annotations("fate.org", {"30000": pulsar_ep(0)})
    assert sni == {"route.kubefate.io/party-30000": "30000.fate.org -> 10.2.0.1:6651"}


def test_checksum_changes_with_content_and_boundaries():
    assert rollout.checksum("a") == rollout.checksum("a")
    assert rollout.checksum("a") != rollout.checksum("b")
    assert rollout.checksum("ab", "c") != rollout.checksum("a", "bc")
    ann = rollout.pod_annotations({"route.kubefate.io/party-1": "x"}, "doc")
    assert ann[rollout.CHECKSUM_ANNOTATION] == rollout.checksum("doc")


def test_party_endpoints_parsing_and_membership():
    assert party_endpoints(None, None) is None
    partial = party_endpoints(nginx_ep(0), None)
    assert partial == {"nginx": nginx_ep(0), "pulsar": None}
    assert party_endpoints({"host": "", "httpPort": 1, "grpcPort": 2}, {"host": "h", "port": 1}) is None
    floats = party_endpoints({"host": "h", "httpPort": 9300.0, "grpcPort": 9310.0}, None)
    assert floats["nginx"] == {"host": "h", "httpPort": 9300, "grpcPort": 9310}
    assert party_endpoints({"host": "h", "httpPort": True, "grpcPort": 2}, None) is None
    full: PartyEndpoints = {"nginx": nginx_ep(0), "pulsar": pulsar_ep(0)}
    m = membership({"30000": full, "40000": partial, "50000": None, "60000": full}, {"30000", "40000"})
    assert m.federated == [30000] and m.pending == [40000, 50000, 60000]  # 60000: routed, no certificate yet
