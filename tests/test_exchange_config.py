"""ExchangeConfig / ExchangeStackConfig: defaults, membership rules and house-format errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.errors import from_validation_error
from models.exchange import ExchangeConfig, ExchangeStackConfig

ATS = {"imageTag": "9.2.5-mirror"}


def _errors(data: dict) -> str:
    with pytest.raises(ValidationError) as exc:
        ExchangeConfig.model_validate(data)
    return str(from_validation_error(exc.value, "exchange", "stack configuration"))


def test_defaults_follow_upstream_examples():
    cfg = ExchangeConfig.model_validate({"trafficServer": ATS})
    assert cfg.domain == "fate.org"
    assert cfg.party_id == 1
    assert cfg.namespace == "fate-exchange"
    assert cfg.nginx.http_port == 9300 and cfg.nginx.grpc_port == 9310
    assert cfg.traffic_server.port == 443
    assert cfg.traffic_server.type == cfg.nginx.type == "LoadBalancer"
    assert cfg.parties == []


def test_party_list_and_helpers():
    cfg = ExchangeConfig.model_validate(
        {
            "trafficServer": ATS,
            "domain": "fl.example.com",
            "parties": [{"partyId": 30000, "stack": "party-30000"}, {"partyId": 40000, "stack": "party-40000"}],
        }
    )
    assert cfg.party_stacks == {30000: "party-30000", 40000: "party-40000"}
    assert cfg.fqdn(30000) == "30000.fl.example.com"
    assert cfg.proxy_fqdn == "proxy.fl.example.com"


def test_duplicate_party_id_names_both_entries():
    text = _errors(
        {
            "trafficServer": ATS,
            "parties": [{"partyId": 30000, "stack": "party-30000"}, {"partyId": 30000, "stack": "party-30000b"}],
        }
    )
    assert "exchange.parties[1].partyId = 30000" in text
    assert "exchange.parties[0]" in text


def test_duplicate_stack_is_refused():
    text = _errors(
        {
            "trafficServer": ATS,
            "parties": [{"partyId": 30000, "stack": "party-x"}, {"partyId": 40000, "stack": "party-x"}],
        }
    )
    assert "exchange.parties[1].stack = 'party-x'" in text and "duplicate stack" in text


def test_exchange_party_id_cannot_be_a_member():
    text = _errors({"trafficServer": ATS, "partyId": 30000, "parties": [{"partyId": 30000, "stack": "p"}]})
    assert "exchange's own partyId" in text


@pytest.mark.parametrize("tag", ["latest", "", "repo:1.0"])
def test_moving_or_malformed_tags_are_refused(tag):
    text = _errors({"trafficServer": {"imageTag": tag}})
    assert "exchange.trafficServer.imageTag" in text and "Fix:" in text


def test_traffic_server_tag_is_required():
    text = _errors({})
    assert "trafficServer" in text and "missing" in text


def test_digest_pin_is_accepted():
    cfg = ExchangeConfig.model_validate({"trafficServer": {"imageTag": "sha256:" + "a" * 64}})
    assert cfg.traffic_server.image_tag.startswith("sha256:")


@pytest.mark.parametrize("domain", ["FATE.org", "org", "fate..org", "-x.org"])
def test_bad_domains(domain):
    assert "exchange.domain" in _errors({"trafficServer": ATS, "domain": domain})


def test_load_balancer_ip_must_be_an_ip():
    text = _errors({"trafficServer": {**ATS, "loadBalancerIP": "not-an-ip"}})
    assert "exchange.trafficServer.loadBalancerIP = 'not-an-ip'" in text


def test_node_port_exposure_needs_ports_and_an_advertised_host():
    assert "exchange.trafficServer.nodePort" in _errors({"trafficServer": {**ATS, "type": "NodePort"}})
    text = _errors({"trafficServer": {**ATS, "type": "NodePort", "nodePort": 30443}})
    assert "exchange.advertisedHost" in text
    cfg = ExchangeConfig.model_validate(
        {"trafficServer": {**ATS, "type": "NodePort", "nodePort": 30443}, "advertisedHost": "10.1.2.3"}
    )
    assert cfg.traffic_server.node_port == 30443


def test_certificate_policy_consistency():
    assert "earlyRenewalHours" in _errors(
        {"trafficServer": ATS, "certificates": {"validityHours": 100, "earlyRenewalHours": 100}}
    )
    assert "caValidityHours" in _errors(
        {"trafficServer": ATS, "certificates": {"validityHours": 9000, "caValidityHours": 8000}}
    )
    assert "rsaBits" in _errors({"trafficServer": ATS, "certificates": {"rsaBits": 1024}})


def test_unknown_keys_are_refused():
    assert "unknown key" in _errors({"trafficServer": ATS, "partys": []})


def test_stack_config_is_role_exchange_with_cluster():
    stack = ExchangeStackConfig.model_validate(
        {
            "role": "exchange",
            "sizing": "trial",
            "cluster": {"mode": "kubeconfig"},
            "exchange": {"trafficServer": ATS, "parties": [{"partyId": 30000, "stack": "party-30000"}]},
        }
    )
    assert stack.exchange.party_stacks == {30000: "party-30000"}
    with pytest.raises(ValidationError):
        ExchangeStackConfig.model_validate(
            {"role": "party", "cluster": {"mode": "kubeconfig"}, "exchange": {"trafficServer": ATS}}
        )


def test_shipped_exchange_stack_file_is_valid_and_lists_the_seed_parties():
    from pathlib import Path

    import yaml

    raw = yaml.safe_load((Path(__file__).resolve().parents[1] / "Pulumi.exchange.yaml").read_text())["config"]
    block = {k.removeprefix("kubefate-tanzu:"): v for k, v in raw.items()}
    stack = ExchangeStackConfig.model_validate(block)
    assert stack.cluster.mode == "tanzu"
    assert stack.exchange.party_stacks == {30000: "party-30000", 40000: "party-40000"}
    assert stack.exchange.traffic_server.image_tag != "latest"
