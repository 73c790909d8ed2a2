"""The party stack whole under mocks: cluster -> KubeFATE -> FATE, exchange wiring, exports, secrecy."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime.rpc import UNKNOWN

from components import contracts
from stacks.party import KUBEFATE_CREDENTIALS, KUBEFATE_URL, NOTEBOOK_PASSWORD, federation_status
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
TLS = {"certPem": "CERT", "keyPkcs8Pem": "KEY-PK8", "caPem": "CA"}
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
    run_program(harness, PARTY if values is None else values)


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
    (ref,) = harness.mocks.of_type("pulumi:pulumi:StackReference")
    assert ref.inputs["name"] == EXCHANGE_STACK
    # Registered from configuration (the party has an exchange), empty until the exchange issues a bundle.
    (cert,) = [r for r in harness.mocks.of_type("kubernetes:core/v1:Secret") if r.k8s_name == "pulsar-cert"]
    assert unwrap(cert.inputs["stringData"]) == {}


def test_exchange_outputs_federate_the_party(harness, exports):
    harness.mocks.stack_outputs[EXCHANGE_STACK] = {
        contracts.EXCHANGE_ENDPOINT: ENDPOINT,
        contracts.party_tls_output(30000): TLS,
    }
    harness.mocks.secret_output_names[EXCHANGE_STACK] = [contracts.party_tls_output(30000)]
    deploy(harness)
    assert harness.value(exports[contracts.FEDERATION_STATUS]) == {"exchange": "connected", "stack": "exchange"}
    certs = [r for r in harness.mocks.of_type("kubernetes:core/v1:Secret") if r.k8s_name == "pulsar-cert"]
    assert len(certs) == 1 and certs[0].k8s_namespace == "fate-30000"


def test_preview_lists_pulsar_cert_while_the_exchange_bundle_is_unknown(exports):
    from tests.harness import Harness, new_event_loop

    new_event_loop()
    harness = Harness(preview=True)
    harness.mocks.stack_outputs[EXCHANGE_STACK] = {
        contracts.EXCHANGE_ENDPOINT: ENDPOINT,
        contracts.party_tls_output(30000): UNKNOWN,
    }
    deploy(harness)
    certs = [r for r in harness.mocks.of_type("kubernetes:core/v1:Secret") if r.k8s_name == "pulsar-cert"]
    assert len(certs) == 1 and certs[0].k8s_namespace == "fate-30000"


def test_party_without_an_exchange_runs_standalone(harness, exports):
    deploy(harness, {k: v for k, v in PARTY.items() if k != "exchange"})
    assert not [r for r in harness.mocks.of_type("kubernetes:core/v1:Secret") if r.k8s_name == "pulsar-cert"]
    assert not harness.mocks.of_type("pulumi:pulumi:StackReference")
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
