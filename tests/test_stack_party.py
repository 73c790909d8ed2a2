"""The party stack whole under mocks: cluster -> KubeFATE -> FATE, exchange wiring, exports, secrecy."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime.rpc import UNKNOWN

from components import contracts
from stacks.federation_links import READ_STACK_OUTPUTS
from stacks.party import KUBEFATE_CREDENTIALS, KUBEFATE_URL, NOTEBOOK_PASSWORD, federation_status
from tests import x509_fixtures as x5
from tests.stack_runner import FAKE_SECRETS, PARTY, capture_exports, reset_config, run_program
from tests.test_tanzu_support import capture_register_requests, unwrap

KNOWN_PASSWORD = "S3cr3t-known"
EXCHANGE_STACK = "organization/kubefate-tanzu/exchange"
ENDPOINT = {
    "host": "10.0.0.9",
    "nginxHttpPort": 9300,
    "nginxGrpcPort": 9310,
    "atsHost": "10.0.0.10",
    "atsPort": 443,
    "domain": "fate.org",
}
KEY_TYPE = "tls:index/privateKey:PrivateKey"
CSR_TYPE = "tls:index/certRequest:CertRequest"
OWN_CERT, CA = x5.certificate("30000", "30000.fate.org"), x5.ca_certificate()
COMPONENTS = ("kubefate:index:TanzuWorkloadCluster", "kubefate:index:KubeFateService", "kubefate:index:FateCluster")


@pytest.fixture(autouse=True)
def _clean_config():
    yield
    reset_config()


@pytest.fixture
def exports(monkeypatch):
    return capture_exports(monkeypatch)


def deploy(harness, values=None):
    harness.mocks.on_new["random:index/randomPassword:RandomPassword"] = lambda a: {"result": KNOWN_PASSWORD}
    # The party's own key (the mysql keys keep the mock's placeholders).
    harness.mocks.on_new[KEY_TYPE] = lambda a: (
        {"privateKeyPemPkcs8": x5.pkcs8_pem("30000"), "publicKeyPem": x5.public_pem("30000")}
        if a.name == "pulsar-tls-key"
        else {}
    )
    run_program(harness, PARTY if values is None else values)


def pulsar_cert(harness) -> dict:
    (cert,) = [r for r in harness.mocks.of_type("kubernetes:core/v1:Secret") if r.k8s_name == "pulsar-cert"]
    assert cert.k8s_namespace == "fate-30000"
    return unwrap(cert.inputs["stringData"])


def exchange_outputs(cert: str | None = OWN_CERT) -> dict:
    return {
        contracts.EXCHANGE_ENDPOINT: ENDPOINT,
        contracts.CA_CERT: CA,
        contracts.party_cert_output(30000): cert,
        contracts.party_cert_output(40000): x5.certificate("40000", "40000.fate.org"),
    }


def test_composes_cluster_kubefate_and_fate(harness, exports, monkeypatch):
    requests = capture_register_requests(monkeypatch)
    deploy(
        harness,
        {**PARTY, "cluster": {"mode": "kubeconfig", "preparation": {"enabled": True, "defaultStorageClass": True}}},
    )
    for typ in COMPONENTS:
        (component,) = harness.mocks.of_type(typ)
        assert component.parent_type == "pulumi:pulumi:Stack"
    for name in ("kubefate", "fate"):
        # depends_on a component waits for all its children, the cluster's preparation included
        assert any("kubefate:index:WorkloadPreparation$" in dep for dep in requests[name].dependencies), name


def test_every_kubernetes_object_uses_the_workload_provider(harness, exports):
    deploy(harness)
    for r in harness.mocks.registered:
        if r.typ.startswith("kubernetes:"):
            assert r.provider and "::cluster-workload::" in r.provider, f"{r.typ} {r.name}: {r.provider}"


def test_kubeconfig_reaches_the_provider_only_as_a_secret(harness, exports):
    deploy(harness)
    (provider,) = [r for r in harness.mocks.of_type("pulumi:providers:kubernetes") if r.name == "cluster-workload"]
    assert unwrap(provider.inputs["kubeconfig"]) == FAKE_SECRETS["kubeconfig"]
    assert provider.inputs["kubeconfig"] != FAKE_SECRETS["kubeconfig"]  # wrapped as a secret
    for r in harness.mocks.registered:
        if not r.typ.startswith("pulumi:providers:"):
            assert FAKE_SECRETS["kubeconfig"] not in json.dumps(r.inputs, default=str), r.name


def test_no_generated_password_outside_secrets(harness, exports):
    deploy(harness)
    for r in harness.mocks.registered:
        if r.typ in ("kubernetes:core/v1:Secret", "random:index/randomPassword:RandomPassword"):
            continue
        assert KNOWN_PASSWORD not in json.dumps(r.inputs, default=str), f"{r.typ} {r.name}"
    for name, value in exports.items():
        if name not in (KUBEFATE_CREDENTIALS, NOTEBOOK_PASSWORD):
            assert KNOWN_PASSWORD not in json.dumps(harness.value(value), default=str), name
    assert harness.is_secret(exports[NOTEBOOK_PASSWORD])
    assert harness.value(exports[NOTEBOOK_PASSWORD]) == KNOWN_PASSWORD
    assert harness.is_secret(exports[KUBEFATE_CREDENTIALS])
    assert harness.value(exports[KUBEFATE_CREDENTIALS]) == {"username": "admin", "password": KNOWN_PASSWORD}


def test_exports_follow_the_contract_while_the_exchange_is_pending(harness, exports):
    deploy(harness)
    assert harness.value(exports[contracts.PARTY_ID]) == 30000
    for name in (contracts.NGINX_ENDPOINT, contracts.PULSAR_ENDPOINT, contracts.FATEBOARD_URL, contracts.NOTEBOOK_URL):
        assert name in exports
    assert harness.value(exports[contracts.FEDERATION_STATUS]) == {"exchange": "pending", "stack": "exchange"}
    assert harness.value(exports[KUBEFATE_URL]) == "http://kubefate.party-30000.fate.internal"
    # The exchange is read once, before registration, under its qualified name; no StackReference.
    reads = [args["name"] for token, args in harness.mocks.calls if token == READ_STACK_OUTPUTS]
    assert reads == [EXCHANGE_STACK] and not harness.mocks.of_type("pulumi:pulumi:StackReference")
    # Registered from configuration (the party has an exchange), empty until the exchange signed its request.
    assert pulsar_cert(harness) == {}


def test_the_party_makes_its_own_key_and_exports_only_the_request(harness, exports):
    deploy(harness)
    key = harness.mocks.one(KEY_TYPE, "pulsar-tls-key")
    assert key.inputs["algorithm"] == "RSA" and key.inputs["rsaBits"] == 2048
    assert key.parent_type == "kubefate:index:PartyTls"
    assert key.provider and "pulumi:providers:tls::party-tls" in key.provider
    csr = harness.mocks.one(CSR_TYPE, "pulsar-tls-csr")
    # What the exchange signed before keys moved to the parties: the same subject and name.
    assert csr.inputs["subject"] == {"commonName": "30000.fate.org", "organization": "kubefate-tanzu federation"}
    assert csr.inputs["dnsNames"] == ["30000.fate.org"]
    assert harness.value(exports[contracts.PULSAR_CSR]) == "-----MOCK certRequestPem pulsar-tls-csr-----"
    for name, value in exports.items():
        assert x5.pkcs8_pem("30000") not in json.dumps(harness.value(value), default=str), name


def test_the_request_follows_the_partys_domain_and_key_policy(harness, exports):
    deploy(
        harness,
        {
            **PARTY,
            "exchange": {
                "stack": "exchange",
                "domain": "fl.example.org",
                "certificate": {"keyAlgorithm": "ECDSA", "ecdsaCurve": "P384", "organization": "Bank A"},
            },
        },
    )
    key = harness.mocks.one(KEY_TYPE, "pulsar-tls-key")
    assert key.inputs["algorithm"] == "ECDSA" and key.inputs["ecdsaCurve"] == "P384"
    csr = harness.mocks.one(CSR_TYPE, "pulsar-tls-csr")
    assert csr.inputs["subject"] == {"commonName": "30000.fl.example.org", "organization": "Bank A"}


def test_exchange_outputs_federate_the_party_with_its_own_key(harness, exports):
    harness.mocks.stack_outputs[EXCHANGE_STACK] = exchange_outputs()
    deploy(harness)
    assert harness.value(exports[contracts.FEDERATION_STATUS]) == {"exchange": "connected", "stack": "exchange"}
    assert pulsar_cert(harness) == {
        "broker.cert.pem": OWN_CERT,
        "broker.key-pk8.pem": x5.pkcs8_pem("30000"),
        "ca.cert.pem": CA,
    }


def test_a_certificate_for_another_key_is_not_installed(harness, exports):
    """Right after the party's key was replaced the exchange still exports the old key's certificate."""
    harness.mocks.stack_outputs[EXCHANGE_STACK] = exchange_outputs(x5.certificate("old-30000", "30000.fate.org"))
    deploy(harness)
    assert pulsar_cert(harness) == {}


def test_preview_lists_pulsar_cert_while_the_exchange_certificate_is_unknown(exports):
    from tests.harness import Harness, new_event_loop

    new_event_loop()
    harness = Harness(preview=True)
    harness.mocks.stack_outputs[EXCHANGE_STACK] = {**exchange_outputs(), contracts.party_cert_output(30000): UNKNOWN}
    deploy(harness)
    certs = [r for r in harness.mocks.of_type("kubernetes:core/v1:Secret") if r.k8s_name == "pulsar-cert"]
    assert len(certs) == 1 and certs[0].k8s_namespace == "fate-30000"
    assert harness.mocks.one(CSR_TYPE, "pulsar-tls-csr")


def test_an_exchange_stack_never_created_leaves_the_party_standalone_not_failed(harness, exports):
    """`pulumi up -s party-30000` before `pulumi stack init exchange`: the engine cannot read that stack."""
    harness.mocks.missing_stacks.add(EXCHANGE_STACK)
    deploy(harness)
    assert harness.value(exports[contracts.FEDERATION_STATUS]) == {"exchange": "pending", "stack": "exchange"}
    assert pulsar_cert(harness) == {} and harness.mocks.of_type("kubefate:index:FateCluster")


def test_an_exchange_stack_that_cannot_be_read_stops_the_party_run(harness, exports):
    harness.mocks.unreadable_stacks[EXCHANGE_STACK] = "failed to decrypt: incorrect passphrase"
    with pytest.raises(Exception, match="cannot read the outputs of exchange stack exchange"):
        deploy(harness)


def test_party_without_an_exchange_runs_standalone(harness, exports):
    deploy(harness, {k: v for k, v in PARTY.items() if k != "exchange"})
    assert not [r for r in harness.mocks.of_type("kubernetes:core/v1:Secret") if r.k8s_name == "pulsar-cert"]
    assert not harness.mocks.of_type("pulumi:pulumi:StackReference") and not harness.mocks.calls
    assert not harness.mocks.of_type("kubefate:index:PartyTls") and exports[contracts.PULSAR_CSR] is None
    assert harness.value(exports[contracts.FEDERATION_STATUS]) == {"exchange": "none", "stack": None}
    assert harness.mocks.of_type("kubefate:index:FateCluster")


def test_kubefate_can_be_left_out(harness, exports):
    deploy(harness, {**PARTY, "kubefate": {"enabled": False}})
    assert not harness.mocks.of_type("kubefate:index:KubeFateService")
    assert not [r for r in harness.mocks.registered if r.k8s_name == "kube-fate"]
    assert exports[KUBEFATE_URL] is None and exports[KUBEFATE_CREDENTIALS] is None
    assert harness.mocks.of_type("kubefate:index:FateCluster")


def test_fate_cluster_yaml_stack_deploys_the_files_cluster(harness, exports, tmp_path, monkeypatch):
    import models.config as config

    (tmp_path / "party.yaml").write_text(
        "name: fate-30000\nnamespace: fate-30000\nchartName: fate\nchartVersion: v2.0.0\npartyId: 30000\n"
        "modules: [mysql, python, fateboard, client, nginx, pulsar]\ncomputing: Spark_local\n"
        "federation: Pulsar\nstorage: LocalFS\n"
    )
    monkeypatch.setattr(config, "PROJECT_DIR", tmp_path)
    values = {k: v for k, v in PARTY.items() if k != "fate"}
    deploy(
        harness,
        {
            **values,
            "kubefateClusterYaml": "party.yaml",
            "sizing": "trial",
            "kubefate": {**PARTY["kubefate"], "storageClass": "standard"},
        },
    )
    assert harness.mocks.of_type("kubefate:index:FateCluster")
    deployed = {r.k8s_name for r in harness.mocks.registered if r.k8s_namespace == "fate-30000"}
    assert "nginx" in deployed and "spark-master" not in deployed


@pytest.mark.parametrize(
    ("stack", "connected", "expected"),
    [
        (None, False, {"exchange": "none", "stack": None}),
        ("exchange", False, {"exchange": "pending", "stack": "exchange"}),
        ("exchange", True, {"exchange": "connected", "stack": "exchange"}),
    ],
)
def test_federation_status(stack, connected, expected):
    assert federation_status(stack, connected) == expected


def test_main_runs_the_program_and_reports_config_errors_without_a_traceback(harness, exports):
    import runpy

    import pulumi

    from tests.stack_runner import ROOT, set_config

    harness.run(
        lambda: (
            set_config(PARTY, {"kubeconfig": FAKE_SECRETS["kubeconfig"]}),
            runpy.run_path(str(ROOT / "__main__.py")),
        )
    )
    assert harness.mocks.of_type("kubefate:index:FateCluster")
    with pytest.raises(pulumi.RunError) as exc:
        harness.run(
            lambda: (
                set_config({**PARTY, "partyId": 0}, {"kubeconfig": "x"}),
                runpy.run_path(str(ROOT / "__main__.py")),
            )
        )
    assert "invalid stack configuration (kubefate-tanzu:*):\n  - partyId = 0: party ids are positive" in str(exc.value)
