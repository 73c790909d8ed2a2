"""The exchange stack whole under mocks: phases of the federation as the exports show them."""

from __future__ import annotations

import pulumi
import pytest
import yaml

from components import contracts
from models.config import StackSecrets
from models.exchange import ExchangeStackConfig
from stacks.exchange import deploy_exchange, run_exchange
from tests import x509_fixtures as x5

ORG = "organization/kubefate-tanzu"


def stack_config(parties=(30000, 40000)) -> ExchangeStackConfig:
    return ExchangeStackConfig.model_validate(
        {
            "role": "exchange",
            "sizing": "trial",
            "cluster": {"mode": "kubeconfig"},
            "exchange": {
                "trafficServer": {"imageTag": "9.2.5-mirror"},
                "parties": [{"partyId": p, "stack": f"party-{p}"} for p in parties],
            },
        }
    )


LSC = "tls:index/locallySignedCert:LocallySignedCert"


def party_outputs(party_id: int, cn: str | None = None) -> dict:
    """What a deployed party stack exports: its endpoints and the request made with its own key."""
    n = party_id // 10000
    return {
        contracts.PARTY_ID: party_id,
        contracts.NGINX_ENDPOINT: {"host": f"10.0.{n}.1", "httpPort": 9300, "grpcPort": 9310},
        contracts.PULSAR_ENDPOINT: {"host": f"10.0.{n}.2", "sslPort": 6651},
        contracts.PULSAR_CSR: x5.request(str(party_id), cn or f"{party_id}.fate.org"),
    }


@pytest.fixture
def exports(monkeypatch):
    captured: dict = {}
    monkeypatch.setattr(pulumi, "export", lambda name, value: captured.__setitem__(name, value))
    return captured


def run(harness, cfg, secrets=None):
    harness.stack = "exchange"
    harness.mocks.on_new["tls:index/privateKey:PrivateKey"] = lambda a: {
        "privateKeyPem": f"KEY-{a.name}",
        "privateKeyPemPkcs8": f"PK8-{a.name}",
    }
    harness.mocks.on_new["kubernetes:core/v1:Service"] = lambda a: {
        "status": {"loadBalancer": {"ingress": [{"ip": "192.168.50.10"}]}}
    }
    secrets = secrets or StackSecrets(kubeconfig=pulumi.Output.secret("apiVersion: v1\nkind: Config\n"))
    harness.run(lambda: run_exchange(cfg, secrets))


def test_phase_one_no_party_deployed_yet(harness, exports):
    run(harness, stack_config())
    assert harness.value(exports[contracts.FEDERATED_PARTIES]) == []
    assert harness.value(exports[contracts.PENDING_PARTIES]) == [30000, 40000]
    assert harness.value(exports[contracts.EXCHANGE_ENDPOINT])["atsHost"] == "192.168.50.10"
    for party in (30000, 40000):
        assert harness.value(exports[contracts.party_cert_output(party)]) is None  # nothing to sign yet
    assert [r.name for r in harness.mocks.of_type(LSC)] == ["exchange-pki-ats-cert"]
    assert yaml.safe_load(harness.value(exports["nginxRouteTable"])) == {}


def test_phase_two_routes_every_deployed_party(harness, exports):
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = party_outputs(30000)
    harness.mocks.stack_outputs[f"{ORG}/party-40000"] = party_outputs(40000)
    run(harness, stack_config())
    assert harness.value(exports[contracts.FEDERATED_PARTIES]) == [30000, 40000]
    assert harness.value(exports[contracts.PENDING_PARTIES]) == []
    assert set(yaml.safe_load(harness.value(exports["nginxRouteTable"]))) == {30000, 40000}
    sni = yaml.safe_load(harness.value(exports["sniRoutes"]))["sni"]
    assert [e["fqdn"] for e in sni] == ["30000.fate.org", "40000.fate.org"]
    for party in (30000, 40000):
        signed = harness.mocks.one(LSC, f"exchange-pki-party-{party}-cert")
        assert signed.inputs["certRequestPem"] == party_outputs(party)[contracts.PULSAR_CSR]
        cert = exports[contracts.party_cert_output(party)]
        assert harness.value(cert) == f"-----MOCK certPem exchange-pki-party-{party}-cert-----"


def test_partial_federation(harness, exports):
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = party_outputs(30000)
    run(harness, stack_config())
    assert harness.value(exports[contracts.FEDERATED_PARTIES]) == [30000]
    assert harness.value(exports[contracts.PENDING_PARTIES]) == [40000]


def test_a_party_stack_never_created_leaves_that_party_pending_not_the_run_failed(harness, exports):
    """`pulumi up -s exchange` before `pulumi stack init party-40000`: the engine cannot read that stack."""
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = party_outputs(30000)
    harness.mocks.missing_stacks.add(f"{ORG}/party-40000")
    run(harness, stack_config())
    assert harness.value(exports[contracts.FEDERATED_PARTIES]) == [30000]
    assert harness.value(exports[contracts.PENDING_PARTIES]) == [40000]
    assert not harness.mocks.of_type("pulumi:pulumi:StackReference")


def test_a_party_stack_that_cannot_be_read_stops_the_run_instead_of_dropping_the_party(harness, exports):
    """A backend error is not "not deployed": that would delete the party's certificate and routes."""
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = party_outputs(30000)
    harness.mocks.unreadable_stacks[f"{ORG}/party-40000"] = "failed to decrypt: incorrect passphrase"
    with pytest.raises(Exception, match="cannot read the outputs of party stack party-40000") as exc:
        run(harness, stack_config())
    assert "incorrect passphrase" in str(exc.value) and "Fix: check access to the backend" in str(exc.value)
    assert not harness.mocks.of_type(LSC)  # stopped before registering anything


def test_a_request_for_another_name_is_not_signed_and_the_party_stays_pending(harness, exports):
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = party_outputs(30000)
    harness.mocks.stack_outputs[f"{ORG}/party-40000"] = party_outputs(40000, cn="30000.fate.org")
    run(harness, stack_config())
    assert sorted(r.name for r in harness.mocks.of_type(LSC)) == [
        "exchange-pki-ats-cert",
        "exchange-pki-party-30000-cert",
    ]
    assert harness.value(exports[contracts.party_cert_output(40000)]) is None
    assert harness.value(exports[contracts.FEDERATED_PARTIES]) == [30000]
    assert harness.value(exports[contracts.PENDING_PARTIES]) == [40000]


def test_no_export_is_secret_or_carries_a_key(harness, exports):
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = party_outputs(30000)
    run(harness, stack_config())
    for name, value in exports.items():
        assert not harness.is_secret(value), name
        assert "KEY-" not in str(harness.value(value)) and "PK8-" not in str(harness.value(value)), name


def test_every_kubernetes_object_uses_the_cluster_provider(harness, exports):
    run(harness, stack_config())
    k8s_objects = [r for r in harness.mocks.registered if r.typ.startswith("kubernetes:")]
    assert k8s_objects
    for r in k8s_objects:
        assert r.provider and "exchange-cluster-workload" in r.provider, r.name


def test_deploy_exchange_without_parties(harness, exports):
    import pulumi_kubernetes as k8s

    cfg = stack_config(parties=()).exchange
    harness.run(lambda: deploy_exchange(cfg, k8s.Provider("k", kubeconfig="{}")))
    assert harness.value(exports[contracts.PENDING_PARTIES]) == []
    assert not [k for k in exports if k.startswith("pulsarCert")]


def test_namespace_gets_the_clusters_pod_security_labels(harness, exports):
    run(harness, stack_config())
    ns = harness.mocks.one("kubernetes:core/v1:Namespace")
    # The cluster asks for privileged on its workload namespaces; the exchange's pods meet baseline.
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert ns.inputs["metadata"]["labels"]["cluster"] == "fate-exchange"


def test_certificates_use_the_stacks_explicit_tls_provider(harness, exports):
    for party in (30000, 40000):
        harness.mocks.stack_outputs[f"{ORG}/party-{party}"] = party_outputs(party)
    run(harness, stack_config())
    tls_resources = [r for r in harness.mocks.registered if r.typ.startswith("tls:index/")]
    assert len(tls_resources) == 2 + 3 + 2  # CA key + cert, key/CSR/cert for ATS, one signature per party
    # Registrations complete concurrently, so the order of the mock's list is not the program's.
    assert sorted(r.name for r in tls_resources if r.typ == "tls:index/privateKey:PrivateKey") == [
        "exchange-pki-ats-key",
        "exchange-pki-ca-key",
    ]
    for r in tls_resources:
        assert r.provider and "pulumi:providers:tls::federation-tls" in r.provider, r.name


def test_a_preview_lists_the_signature_of_each_request_already_exported(exports):
    """Requests are read before anything is registered, in previews too, so the plan shows every signature."""
    from tests.harness import Harness, new_event_loop

    new_event_loop()
    harness = Harness(stack="exchange", preview=True)
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = party_outputs(30000)
    run(harness, stack_config())
    assert sorted(r.name for r in harness.mocks.of_type(LSC)) == [
        "exchange-pki-ats-cert",
        "exchange-pki-party-30000-cert",
    ]
