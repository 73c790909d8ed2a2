"""Every shipped Pulumi.<stack>.yaml passes validation as shipped and runs whole under mocks."""

from __future__ import annotations

import pytest

from components import contracts
from models.config import load_stack_config
from models.party import PartyConfig
from tests.stack_runner import capture_exports, file_config, reset_config, run_program, shipped_stacks

PARTY_STACKS = ("party-30000", "party-40000")


@pytest.fixture(autouse=True)
def _clean_config():
    yield
    reset_config()


def test_the_seeds_stacks_are_shipped():
    assert set(PARTY_STACKS) <= set(shipped_stacks())


@pytest.mark.parametrize("stack", shipped_stacks())
def test_shipped_stack_runs_whole_under_mocks(stack, harness, monkeypatch):
    values = file_config(stack)
    exports = capture_exports(monkeypatch)
    harness.stack = stack  # the stack checks it is not named as its own exchange or party
    run_program(harness, values)
    types = set(harness.mocks.types())
    assert "kubefate:index:TanzuWorkloadCluster" in types
    if values["role"] == "party":
        assert "kubefate:index:FateCluster" in types
        wants_kubefate = (values.get("kubefate") or {}).get("enabled", True)
        assert ("kubefate:index:KubeFateService" in types) == wants_kubefate
        assert harness.value(exports[contracts.PARTY_ID]) == int(values["partyId"])
    else:
        assert "kubefate:index:Exchange" in types
        assert contracts.EXCHANGE_ENDPOINT in exports


@pytest.mark.parametrize("stack", PARTY_STACKS)
def test_seed_parties_are_spark_pulsar_on_vsan_with_load_balancers(stack, harness):
    from tests.stack_runner import secrets_for, set_config

    values = file_config(stack)
    cfg, secrets = harness.run(lambda: (set_config(values, secrets_for(values)), load_stack_config())[1])
    assert isinstance(cfg, PartyConfig)
    spec = cfg.spec
    assert (spec.computing, spec.federation, spec.storage) == ("Spark", "Pulsar", "HDFS")
    assert spec.persistence and spec.storage_class == "vsan-default-storage-policy"
    assert spec.nginx.type == "LoadBalancer" and spec.pulsar.type == "LoadBalancer"
    assert spec.fate_version == "2.0.0" and spec.registry == ""
    assert cfg.sizing == "production" and cfg.sizing_findings() == []
    assert cfg.cluster.mode == "tanzu"
    assert cfg.exchange is not None and cfg.exchange.stack == "exchange"
    assert cfg.kubefate.storage_class == "vsan-default-storage-policy"
    assert secrets.supervisor_kubeconfig is not None and secrets.kubeconfig is None


def test_party_stacks_do_not_share_hosts_or_names():
    hosts = {}
    for stack in PARTY_STACKS:
        values = file_config(stack)
        ui_hosts = [h["name"] for ui in values["fate"].get("ingress", {}).values() for h in ui.get("hosts", [])]
        for host in [values["kubefate"]["host"], *ui_hosts]:
            assert host not in hosts, f"{host} used by {hosts.get(host)} and {stack}"
            hosts[host] = stack
        assert values["cluster"]["name"].endswith(str(values["partyId"]))


@pytest.mark.parametrize("stack", shipped_stacks())
def test_no_secret_is_kept_in_a_stack_file(stack):
    values = file_config(stack)
    assert not {"kubeconfig", "supervisorKubeconfig", "vspherePassword"} & set(values)


def test_ci_entry_point_runs_make_lint_then_make_test_and_fails_loudly():
    import os

    from tests.stack_runner import ROOT

    script = ROOT / ".ci" / "run"
    text = script.read_text()
    assert os.access(script, os.X_OK)
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    assert "for target in lint test; do" in text and 'make "$target"' in text and 'exit "$status"' in text
