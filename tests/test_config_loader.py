"""The one loader under mocks: config read as the engine hands it over, every problem at once, secrets secret."""

from __future__ import annotations

import json

import pulumi
import pytest

from models.config import StackSecrets, load_stack_config, namespace_keys
from models.errors import ConfigError, Problem
from models.exchange import ExchangeStackConfig
from models.party import PartyConfig
from tests.stack_runner import FAKE_SECRETS, PARTY, reset_config, run_program, set_config

KUBECONFIG = {"kubeconfig": FAKE_SECRETS["kubeconfig"]}
CLUSTER_YAML = """\
name: fate-30000
namespace: fate-30000
chartName: fate
chartVersion: v2.0.0
partyId: 30000
persistence: true
storageClass: standard
modules: [mysql, python, fateboard, client, spark, hdfs, nginx, pulsar]
computing: Spark
federation: Pulsar
storage: HDFS
skippedKeys: [route_table]
nginx:
  type: LoadBalancer
pulsar:
  type: LoadBalancer
"""


@pytest.fixture(autouse=True)
def _clean_config():
    yield
    reset_config()


def load(harness, values, secrets=None, plain=None, project_dir=None):
    kwargs = {"project_dir": project_dir} if project_dir else {}
    secrets = KUBECONFIG if secrets is None else secrets
    return harness.run(lambda: (set_config(values, secrets, plain), load_stack_config(**kwargs))[1])


def problems(harness, values, **kwargs) -> list[Problem]:
    with pytest.raises(ConfigError) as exc:
        load(harness, values, **kwargs)
    return exc.value.problems


def with_(**changes):
    return {**PARTY, **changes}


def without(*keys):
    return {k: v for k, v in PARTY.items() if k not in keys}


# -- the happy path ------------------------------------------------------------------------------------------


def test_party_config_loads_with_derived_names(harness):
    cfg, _ = load(harness, PARTY)
    assert isinstance(cfg, PartyConfig)
    assert cfg.party_id == 30000 and cfg.sizing == "production"
    assert (cfg.spec.name, cfg.spec.namespace) == ("fate-30000", "fate-30000")
    assert cfg.spec.party_id == 30000  # taken from the stack's partyId
    assert cfg.kubefate.storage_class == "standard"  # falls back to fate.storageClass
    assert cfg.workload_namespaces == ["kube-fate", "fate-30000"]


def test_secrets_come_back_as_secret_outputs(harness):
    _, secrets = load(harness, PARTY)
    assert isinstance(secrets, StackSecrets)
    assert harness.is_secret(secrets.kubeconfig)
    assert harness.value(secrets.kubeconfig) == FAKE_SECRETS["kubeconfig"]
    assert secrets.supervisor_kubeconfig is None and secrets.vsphere_password is None


def test_exchange_role_dispatches_to_the_exchange_model(harness):
    values = {
        "role": "exchange",
        "cluster": {"mode": "kubeconfig"},
        "exchange": {"trafficServer": {"imageTag": "9.2.3"}, "parties": [{"partyId": 30000, "stack": "party-30000"}]},
    }
    harness.stack = "exchange"
    cfg, _ = load(harness, values)
    assert isinstance(cfg, ExchangeStackConfig)
    assert cfg.exchange.party_stacks == {30000: "party-30000"}


def test_keys_are_listed_from_the_engines_environment_too(harness, monkeypatch):
    monkeypatch.setenv(
        "PULUMI_CONFIG",
        json.dumps({"kubefate-tanzu:role": "party", "kubernetes:x": "1", "kubefate-tanzu:partyId": "1"}),
    )
    assert harness.run(lambda: namespace_keys()) == ["partyId", "role"]


# -- top-level problems --------------------------------------------------------------------------------------


def test_unknown_top_level_key_is_refused(harness):
    found = problems(harness, with_(kubefateVersion="v1.4.5"))
    assert found == [
        "kubefateVersion = 'v1.4.5': unknown key. Fix: write 'kubefate' if that is what you meant, or remove it"
    ]


def test_key_of_the_other_role_is_named_as_such(harness):
    values = {
        "role": "exchange",
        "partyId": 30000,
        "cluster": {"mode": "kubeconfig"},
        "exchange": {"trafficServer": {"imageTag": "9.2.3"}},
    }
    found = problems(harness, values)
    assert found == [
        "partyId = '30000': only for role 'party' stacks. Fix: remove it: a role 'exchange' stack takes role, "
        "sizing, cluster, exchange"
    ]


def test_missing_and_wrong_role(harness):
    assert problems(harness, without("role")) == [
        "role = None: required: it says which stack this is. Fix: set role: party (a party's stack) or role: exchange"
    ]
    assert problems(harness, with_(role="partyy"))[0].startswith("role = 'partyy': not a stack role. Fix:")


@pytest.mark.parametrize("party_id", [0, -5])
def test_party_id_must_be_positive(harness, party_id):
    found = problems(harness, with_(partyId=party_id))
    assert found == [
        f"partyId = {party_id}: party ids are positive integers (FATE keeps them in 32 bits). Fix: "
        "use the organisation's FATE party id, e.g. 30000"
    ]  # once, not again for fate.partyId


def test_party_id_must_be_an_integer(harness):
    found = problems(harness, with_(partyId="thirty"))
    assert len(found) == 1 and found[0].startswith("partyId = 'thirty':")


def test_object_key_that_is_not_an_object(harness):
    found = problems(harness, with_(cluster="kubeconfig"))
    assert "cluster = 'kubeconfig': not an object. Fix: write cluster as a YAML mapping in Pulumi.<stack>.yaml" in found


def test_every_problem_is_reported_at_once(harness):
    values = with_(partyId=0, colour="blue", kubefate={"host": "example.com"}, exchange={"stack": "no spaces allowed"})
    found = problems(harness, values)
    text = "\n".join(found)
    for field in (
        "partyId = 0",
        "colour = 'blue'",
        "kubefate.host = 'example.com'",
        "exchange.stack = 'no spaces allowed'",
    ):
        assert field in text
    assert all("Fix:" in p for p in found)


def test_fate_or_a_cluster_yaml_is_required(harness):
    assert problems(harness, without("fate")) == [
        "fate = None: a party needs its FATE cluster. Fix: set fate (the cluster YAML keys) or "
        "kubefateClusterYaml (a path)"
    ]


def test_fate_party_id_must_agree(harness):
    found = problems(harness, with_(fate={**PARTY["fate"], "partyId": 40000}))
    assert found == [
        "fate.partyId = 40000: disagrees with the stack's partyId 30000. Fix: make both 30000 (or "
        "leave the FATE one out)"
    ]


def test_fate_problems_keep_their_own_field_names(harness):
    found = problems(harness, with_(fate={**PARTY["fate"], "nginx": {"type": "LoadBalancer", "colour": 1}}))
    assert any(p.startswith("fate.nginx.colour = 1: unknown key") for p in found)


def test_kubefate_needs_a_storage_class_somewhere(harness):
    fate = {k: v for k, v in PARTY["fate"].items() if k not in ("persistence", "storageClass")}
    found = problems(harness, with_(fate=fate, sizing="trial"))
    assert found == [
        "kubefate.storageClass = None: the KubeFATE metadata database needs a persistent volume "
        "(upstream's emptyDir loses every cluster and job record on a pod restart). Fix: set "
        "kubefate.storageClass or fate.storageClass, e.g. 'vsan-default-storage-policy'"
    ]


def test_disabled_kubefate_needs_neither_host_nor_storage(harness):
    cfg, _ = load(harness, with_(kubefate={"enabled": False}))
    assert not cfg.kubefate.enabled
    assert cfg.workload_namespaces == ["fate-30000"]


# -- secrets -------------------------------------------------------------------------------------------------


def test_secret_stored_in_plain_text_is_refused_without_showing_it(harness, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", "[]")  # the language host lists the secret keys
    found = problems(harness, PARTY, secrets={}, plain=KUBECONFIG)
    assert found == [
        "kubeconfig = '<not shown>': stored in plain text in the stack file. Fix: remove it and "
        "run `pulumi config set --secret kubeconfig ...`"
    ]
    assert FAKE_SECRETS["kubeconfig"] not in "\n".join(found)


def test_secret_flagged_by_the_engine_environment_is_accepted(harness, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["kubefate-tanzu:kubeconfig"]))
    _, secrets = load(harness, PARTY, secrets={}, plain=KUBECONFIG)
    assert harness.is_secret(secrets.kubeconfig)


def test_missing_secret_for_the_cluster_mode(harness):
    found = problems(harness, PARTY, secrets={})
    assert len(found) == 1 and found[0].startswith(
        "kubeconfig = None: mode 'kubeconfig' needs the workload cluster's kubeconfig. Fix:"
    )


def test_tanzu_mode_asks_for_the_supervisor_kubeconfig(harness):
    cluster = {
        "name": "fate-30000",
        "vsphereNamespace": "fate-party-30000",
        "tkrVersion": "v1.26.5---vmware.2-fips.1-tkg.1",
        "nodePools": [{"name": "workers", "vmClass": "guaranteed-4xlarge"}],
    }
    found = problems(harness, with_(cluster=cluster))
    assert len(found) == 1 and found[0].startswith(
        "supervisorKubeconfig = None: mode 'tanzu' creates the cluster through the Supervisor. Fix:"
    )


# -- kubefateClusterYaml -------------------------------------------------------------------------------------


def test_cluster_yaml_is_read_relative_to_the_project(harness, tmp_path):
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "party-30000.yaml").write_text(CLUSTER_YAML)
    cfg, _ = load(
        harness, {**without("fate"), "kubefateClusterYaml": "clusters/party-30000.yaml"}, project_dir=tmp_path
    )
    assert cfg.kubefate_cluster_yaml == "clusters/party-30000.yaml"
    assert cfg.spec.computing == "Spark" and cfg.spec.skipped_keys == ["route_table"]
    assert cfg.fate_prefix == "kubefateClusterYaml[clusters/party-30000.yaml]"


def test_cluster_yaml_problems_name_the_file(harness, tmp_path):
    (tmp_path / "c.yaml").write_text(CLUSTER_YAML.replace("partyId: 30000", "partyId: 9999") + "rollsiteX: {}\n")
    found = problems(harness, {**without("fate"), "kubefateClusterYaml": "c.yaml"}, project_dir=tmp_path)
    assert any(p.startswith("kubefateClusterYaml[c.yaml].rollsiteX = {}: unknown key") for p in found), found


def test_cluster_yaml_party_id_must_agree(harness, tmp_path):
    (tmp_path / "c.yaml").write_text(CLUSTER_YAML.replace("partyId: 30000", "partyId: 9999"))
    found = problems(harness, {**without("fate"), "kubefateClusterYaml": "c.yaml"}, project_dir=tmp_path)
    assert found == [
        "kubefateClusterYaml[c.yaml].partyId = 9999: disagrees with the stack's partyId 30000. "
        "Fix: make both 30000 (or leave the FATE one out)"
    ]


def test_cluster_yaml_and_fate_together_are_refused(harness, tmp_path):
    (tmp_path / "c.yaml").write_text(CLUSTER_YAML)
    found = problems(harness, with_(kubefateClusterYaml="c.yaml"), project_dir=tmp_path)
    assert found == [
        "kubefateClusterYaml = 'c.yaml': fate is set too; one source of truth only. Fix: keep "
        "either fate (inline keys) or kubefateClusterYaml (a file)"
    ]


def test_cluster_yaml_missing_or_absolute(harness, tmp_path):
    found = problems(harness, {**without("fate"), "kubefateClusterYaml": "nope.yaml"}, project_dir=tmp_path)
    assert len(found) == 1 and found[0].startswith("kubefateClusterYaml = ")
    assert "nope.yaml" in found[0] and "cannot read the file" in found[0]
    found = problems(
        harness, {**without("fate"), "kubefateClusterYaml": str(tmp_path / "c.yaml")}, project_dir=tmp_path
    )
    assert "absolute paths break on other machines" in found[0]


# -- sizing --------------------------------------------------------------------------------------------------

SMALL = {**PARTY["fate"], "python": {"resources": {"requests": {"cpu": "1", "memory": "2Gi"}}}}


def test_sizing_production_refuses_below_reference(harness):
    found = problems(harness, with_(fate=SMALL, kubefate={**PARTY["kubefate"], "databaseSize": "1Gi"}))
    assert (
        "fate.python.resources.requests.cpu = '1': below the reference architecture's 4 vCPU for a FATE "
        "pod. Fix: request at least 4 CPUs, or use sizing: trial" in found
    )
    assert (
        "kubefate.databaseSize = '1Gi': volumes below 5 GiB are under the reference architecture. Fix: use "
        "at least 5Gi, or use sizing: trial" in found
    )


def test_sizing_trial_warns_and_deploys(harness, monkeypatch):
    warnings = []
    monkeypatch.setattr(pulumi.log, "warn", lambda msg, *a, **k: warnings.append(msg))
    cfg, _ = load(harness, with_(fate=SMALL, sizing="trial"))
    assert cfg.sizing == "trial"
    assert any("fate.python.resources.requests.memory = '2Gi'" in w for w in warnings)
    assert all(w.startswith("sizing: trial: ") for w in warnings)


def test_invalid_config_registers_no_resource(harness):
    with pytest.raises(ConfigError):
        run_program(harness, with_(partyId=0), secrets=KUBECONFIG)
    assert harness.mocks.registered == []


def test_stack_file_values_are_handed_over_like_the_engine_does():
    from models.config import config_map_of

    assert config_map_of(
        {"partyId": 30000, "role": "party", "flag": True, "cluster": {"mode": "kubeconfig"}, "list": [1, 2]}
    ) == {"partyId": "30000", "role": "party", "flag": "true", "cluster": '{"mode": "kubeconfig"}', "list": "[1, 2]"}
