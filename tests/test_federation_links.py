"""StackReference reads of the federation, both directions: missing, partial, malformed, complete."""

from __future__ import annotations

import pytest

from components import contracts
from stacks.federation_links import qualify_stack, read_exchange_for_party, read_party_endpoints

ORG = "organization/kubefate-tanzu"
NGINX = {"host": "10.0.3.1", "httpPort": 9300, "grpcPort": 9310}
PULSAR = {"host": "10.0.3.2", "sslPort": 6651}
EXCHANGE = {
    "host": "192.168.50.11",
    "nginxHttpPort": 9300,
    "nginxGrpcPort": 9310,
    "atsHost": "192.168.50.10",
    "atsPort": 443,
    "domain": "fate.org",
}
TLS = {"certPem": "CERT", "keyPkcs8Pem": "PK8", "caPem": "CA"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("party-30000", f"{ORG}/party-30000"),
        ("acme/party-30000", "acme/kubefate-tanzu/party-30000"),
        ("acme/other/party-30000", "acme/other/party-30000"),
    ],
)
def test_qualify_stack(harness, name, expected):
    assert harness.run(lambda: qualify_stack(name)) == expected


def test_complete_partial_and_missing_party_outputs(harness):
    harness.stack = "exchange"
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = {
        contracts.PARTY_ID: 30000,
        contracts.NGINX_ENDPOINT: NGINX,
        contracts.PULSAR_ENDPOINT: PULSAR,
    }
    harness.mocks.stack_outputs[f"{ORG}/party-40000"] = {contracts.NGINX_ENDPOINT: NGINX}
    found = harness.run(
        lambda: read_party_endpoints({30000: "party-30000", 40000: "party-40000", 50000: "party-50000"})
    )
    assert harness.value(found[30000]) == {"nginx": NGINX, "pulsar": PULSAR}
    assert harness.value(found[40000]) == {"nginx": NGINX, "pulsar": None}
    assert harness.value(found[50000]) is None
    refs = harness.mocks.of_type("pulumi:pulumi:StackReference")
    assert sorted(r.inputs["name"] for r in refs) == [f"{ORG}/party-{p}" for p in (30000, 40000, 50000)]
    assert sorted(r.name for r in refs) == ["party-30000-ref", "party-40000-ref", "party-50000-ref"]


def test_malformed_endpoints_are_not_routed(harness):
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = {
        contracts.NGINX_ENDPOINT: {"host": "", "httpPort": 9300, "grpcPort": 9310},
        contracts.PULSAR_ENDPOINT: {"host": "10.0.0.1", "sslPort": "x"},
    }
    found = harness.run(lambda: read_party_endpoints({30000: "party-30000"}))
    assert harness.value(found[30000]) is None


def test_party_id_exported_as_float_or_string_matches(harness):
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = {
        contracts.PARTY_ID: "30000",
        contracts.NGINX_ENDPOINT: NGINX,
        contracts.PULSAR_ENDPOINT: PULSAR,
    }
    found = harness.run(lambda: read_party_endpoints({30000: "party-30000"}))
    assert harness.value(found[30000]) == {"nginx": NGINX, "pulsar": PULSAR}


def test_a_stack_exporting_another_party_id_is_not_routed(harness):
    harness.mocks.stack_outputs[f"{ORG}/party-40000"] = {
        contracts.PARTY_ID: 30000,
        contracts.NGINX_ENDPOINT: NGINX,
        contracts.PULSAR_ENDPOINT: PULSAR,
    }
    found = harness.run(lambda: read_party_endpoints({40000: "party-40000"}))
    assert harness.value(found[40000]) is None


def test_no_parties_no_references(harness):
    assert harness.run(lambda: read_party_endpoints({})) == {}
    assert harness.mocks.of_type("pulumi:pulumi:StackReference") == []


def test_party_reads_exchange_endpoint_and_only_its_own_secret_bundle(harness):
    harness.mocks.stack_outputs[f"{ORG}/exchange"] = {
        contracts.EXCHANGE_ENDPOINT: EXCHANGE,
        contracts.party_tls_output(30000): TLS,
        contracts.party_tls_output(40000): {**TLS, "certPem": "OTHER"},
    }
    harness.mocks.secret_output_names[f"{ORG}/exchange"] = [contracts.party_tls_output(30000)]
    endpoint, bundle = harness.run(lambda: read_exchange_for_party("exchange", 30000))
    assert harness.value(endpoint) == EXCHANGE
    assert harness.value(bundle) == TLS
    assert harness.is_secret(bundle)
    assert not harness.is_secret(endpoint)


def test_party_bundle_is_secret_even_if_the_exchange_exported_it_plainly(harness):
    harness.mocks.stack_outputs[f"{ORG}/exchange"] = {contracts.party_tls_output(30000): TLS}
    _, bundle = harness.run(lambda: read_exchange_for_party("exchange", 30000))
    assert harness.is_secret(bundle)


def test_exchange_not_deployed_yet_is_none_not_a_crash(harness):
    endpoint, bundle = harness.run(lambda: read_exchange_for_party("exchange", 30000))
    assert harness.value(endpoint) is None
    assert harness.value(bundle) is None


def test_exchange_without_this_party_gives_endpoint_but_no_bundle(harness):
    harness.mocks.stack_outputs[f"{ORG}/exchange"] = {
        contracts.EXCHANGE_ENDPOINT: EXCHANGE,
        contracts.party_tls_output(40000): TLS,
    }
    endpoint, bundle = harness.run(lambda: read_exchange_for_party("exchange", 30000))
    assert harness.value(endpoint) == EXCHANGE
    assert harness.value(bundle) is None


def test_older_exchange_endpoint_without_ats_host_falls_back_to_host(harness):
    legacy = {k: v for k, v in EXCHANGE.items() if k != "atsHost"}
    harness.mocks.stack_outputs[f"{ORG}/exchange"] = {contracts.EXCHANGE_ENDPOINT: legacy}
    endpoint, _ = harness.run(lambda: read_exchange_for_party("exchange", 30000))
    assert harness.value(endpoint)["atsHost"] == EXCHANGE["host"]
