"""Reads between the federation's stacks, both directions: missing, partial, malformed, complete."""

from __future__ import annotations

import pytest

from components import contracts
from stacks.federation_links import (
    READ_STACK_OUTPUTS,
    qualify_stack,
    read_exchange_for_party,
    read_parties,
)
from tests import x509_fixtures as x5

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
CSR = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"
CERT, OTHER = x5.certificate("30000", "30000.fate.org"), x5.certificate("40000", "40000.fate.org")
CA = x5.ca_certificate()


def read_party_endpoints(stacks: dict[int, str]) -> dict:
    return {p: view.endpoints for p, view in read_parties(stacks).items()}


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
        contracts.PULSAR_CSR: CSR,
    }
    harness.mocks.stack_outputs[f"{ORG}/party-40000"] = {contracts.NGINX_ENDPOINT: NGINX}
    views = harness.run(lambda: read_parties({30000: "party-30000", 40000: "party-40000", 50000: "party-50000"}))
    assert harness.value(views[30000].endpoints) == {"nginx": NGINX, "pulsar": PULSAR}
    assert views[30000].request == CSR
    assert harness.value(views[40000].endpoints) == {"nginx": NGINX, "pulsar": None}
    assert harness.value(views[50000].endpoints) is None
    assert [views[p].request for p in (40000, 50000)] == [None, None]
    # One read per party, fully qualified, and nothing registered: the exchange's state keeps no copy of the
    # parties' outputs.
    reads = [args["name"] for token, args in harness.mocks.calls if token == READ_STACK_OUTPUTS]
    assert reads == [f"{ORG}/party-{p}" for p in (30000, 40000, 50000)]
    assert harness.mocks.registered == []


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


def test_a_stack_exporting_another_party_id_is_not_routed_nor_its_request_read(harness):
    harness.mocks.stack_outputs[f"{ORG}/party-40000"] = {
        contracts.PARTY_ID: 30000,
        contracts.NGINX_ENDPOINT: NGINX,
        contracts.PULSAR_ENDPOINT: PULSAR,
        contracts.PULSAR_CSR: CSR,
    }
    views = harness.run(lambda: read_parties({40000: "party-40000"}))
    assert harness.value(views[40000].endpoints) is None
    assert views[40000].request is None


@pytest.mark.parametrize("csr", [42, "", "not a request", "-----BEGIN PRIVATE KEY-----\nx\n"])
def test_a_malformed_request_is_none(harness, csr):
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = {contracts.PARTY_ID: 30000, contracts.PULSAR_CSR: csr}
    views = harness.run(lambda: read_parties({30000: "party-30000"}))
    assert views[30000].request is None


@pytest.mark.parametrize("preview", [False, True])
def test_requests_are_plain_values_read_before_registration(harness, preview):
    """Read through the engine's readStackOutputs invoke, in previews too, under the fully qualified name."""
    harness.preview = preview
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = {contracts.PARTY_ID: 30000, contracts.PULSAR_CSR: CSR}
    views = harness.run(lambda: read_parties({30000: "party-30000", 40000: "acme/party-40000"}))
    assert {p: v.request for p, v in views.items()} == {30000: CSR, 40000: None}
    reads = [args["name"] for token, args in harness.mocks.calls if token == READ_STACK_OUTPUTS]
    assert reads == [f"{ORG}/party-30000", "acme/kubefate-tanzu/party-40000"]
    assert harness.mocks.registered == []  # no StackReference needed for the requests


def test_a_party_stack_not_created_yet_is_pending_with_a_warning_not_a_crash(harness, caplog):
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = {contracts.PARTY_ID: 30000, contracts.PULSAR_CSR: CSR}
    harness.mocks.missing_stacks.add(f"{ORG}/party-40000")
    views = harness.run(lambda: read_parties({30000: "party-30000", 40000: "party-40000"}))
    assert [views[p].request for p in (30000, 40000)] == [CSR, None]
    assert views[40000].endpoints is None  # endpoints too: pending, not a failed run
    (warning,) = [r.getMessage() for r in caplog.records if "party-40000" in r.getMessage()]
    assert "cannot read stack party-40000" in warning and "unknown stack" in warning
    assert "stays pending" in warning and "python -m federation up" in warning


def test_no_parties_no_references(harness):
    assert harness.run(lambda: read_party_endpoints({})) == {}
    assert harness.mocks.of_type("pulumi:pulumi:StackReference") == []


def test_party_reads_the_exchange_endpoint_its_own_certificate_and_the_ca(harness):
    harness.mocks.stack_outputs[f"{ORG}/exchange"] = {
        contracts.EXCHANGE_ENDPOINT: EXCHANGE,
        contracts.CA_CERT: CA,
        contracts.party_cert_output(30000): CERT,
        contracts.party_cert_output(40000): OTHER,
    }
    endpoint, issued = harness.run(lambda: read_exchange_for_party("exchange", 30000))
    assert harness.value(endpoint) == EXCHANGE
    assert harness.value(issued) == {"certPem": CERT, "caPem": CA}
    assert not harness.is_secret(issued) and not harness.is_secret(endpoint)


def test_exchange_not_deployed_yet_is_none_not_a_crash(harness):
    endpoint, issued = harness.run(lambda: read_exchange_for_party("exchange", 30000))
    assert harness.value(endpoint) is None
    assert harness.value(issued) is None


@pytest.mark.parametrize(
    "outputs",
    [
        {contracts.CA_CERT: CA, contracts.party_cert_output(40000): OTHER},  # not this party's
        {contracts.CA_CERT: CA, contracts.party_cert_output(30000): None},  # its request not signed yet
        {contracts.party_cert_output(30000): CERT},  # no CA
        {contracts.CA_CERT: CA, contracts.party_cert_output(30000): "CERT"},  # not PEM
    ],
)
def test_exchange_without_this_partys_certificate_gives_endpoint_but_nothing_to_install(harness, outputs):
    harness.mocks.stack_outputs[f"{ORG}/exchange"] = {contracts.EXCHANGE_ENDPOINT: EXCHANGE, **outputs}
    endpoint, issued = harness.run(lambda: read_exchange_for_party("exchange", 30000))
    assert harness.value(endpoint) == EXCHANGE
    assert harness.value(issued) is None


def test_older_exchange_endpoint_without_ats_host_falls_back_to_host(harness):
    legacy = {k: v for k, v in EXCHANGE.items() if k != "atsHost"}
    harness.mocks.stack_outputs[f"{ORG}/exchange"] = {contracts.EXCHANGE_ENDPOINT: legacy}
    endpoint, _ = harness.run(lambda: read_exchange_for_party("exchange", 30000))
    assert harness.value(endpoint)["atsHost"] == EXCHANGE["host"]
