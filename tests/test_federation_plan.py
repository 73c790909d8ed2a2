"""Which stacks form the federation and their order: read from the exchange's stack file, never guessed."""

from __future__ import annotations

import pytest
import yaml

from federation import plan
from federation.summary import StackResult, describe, format_results, format_status


def write_stack(root, name: str, config: dict) -> None:
    (root / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}))


def exchange_config(*stacks: str) -> dict:
    return {
        "kubefate-tanzu:role": "exchange",
        "kubefate-tanzu:exchange": {
            "parties": [{"partyId": 30000 + 10000 * i, "stack": s} for i, s in enumerate(stacks)]
        },
    }


@pytest.fixture
def repo(tmp_path):
    write_stack(tmp_path, "exchange", exchange_config("party-30000", "party-40000"))
    for p in ("party-30000", "party-40000"):
        write_stack(tmp_path, p, {"kubefate-tanzu:role": "party"})
    return tmp_path


def test_parties_come_from_the_exchange_config(repo):
    fed = plan.resolve(repo)
    assert fed == plan.Federation("exchange", ("party-30000", "party-40000"))
    assert fed.all_stacks == ("exchange", "party-30000", "party-40000")


def test_variant_selects_its_own_files(repo):
    write_stack(repo, "local-exchange", exchange_config("local-party-30000"))
    write_stack(repo, "local-party-30000", {"kubefate-tanzu:role": "party"})
    assert plan.resolve(repo, variant="local") == plan.Federation("local-exchange", ("local-party-30000",))


def test_explicit_stacks_override_and_skip_the_exchange(repo):
    fed = plan.resolve(repo, stacks=["party-40000", "exchange"])
    assert fed.parties == ("party-40000",)


def test_missing_files_are_named(repo):
    write_stack(repo, "exchange", exchange_config("party-30000", "party-50000"))
    with pytest.raises(plan.PlanError, match=r"Pulumi\.party-50000\.yaml"):
        plan.resolve(repo)
    with pytest.raises(plan.PlanError, match=r"Pulumi\.other\.yaml: no such stack file"):
        plan.resolve(repo, exchange="other")


def test_duplicates_and_wrong_role_are_refused(repo):
    with pytest.raises(plan.PlanError, match="listed twice"):
        plan.resolve(repo, stacks=["party-30000", "party-30000"])
    write_stack(repo, "exchange", {"kubefate-tanzu:role": "party"})
    with pytest.raises(plan.PlanError, match="not 'exchange'"):
        plan.resolve(repo)


def test_exchange_without_parties(repo):
    write_stack(repo, "exchange", exchange_config())
    fed = plan.resolve(repo)
    assert fed.parties == ()
    assert plan.up_phases(fed) == [["exchange"]]
    assert plan.destroy_phases(fed) == [["exchange"]]


def test_qualified_party_stack_names_map_to_their_files(repo):
    write_stack(repo, "exchange", exchange_config("organization/kubefate-tanzu/party-30000"))
    assert plan.resolve(repo).parties == ("organization/kubefate-tanzu/party-30000",)


def test_phase_orders():
    fed = plan.Federation("exchange", ("party-30000", "party-40000"))
    assert plan.up_phases(fed) == [["party-30000", "party-40000"], ["exchange"], ["party-30000", "party-40000"]]
    assert plan.preview_phases(fed) == [["exchange"], ["party-30000", "party-40000"]]
    assert plan.destroy_phases(fed) == [["party-30000", "party-40000"], ["exchange"]]


def test_change_detection_ignores_same_and_read():
    assert not StackResult("s", "up", {"same": 12, "read": 2}).changed
    assert StackResult("s", "up", {"same": 12, "update": 1}).changed
    assert StackResult("s", "destroy", {"delete": 3}).changed
    assert describe({"create": 2, "update": 1, "same": 5}) == "+2 ~1 (5 unchanged)"
    assert describe({}) == "no changes"


def test_formatting():
    text = format_results(2, [StackResult("exchange", "up", {"update": 1}), StackResult("party-30000", "up")])
    assert text.splitlines() == ["== pass 2", "   exchange     up      ~1", "   party-30000  up      no changes"]
    assert format_status("party-50000", None) == "   party-50000: not deployed"
    line = format_status("exchange", {"federatedParties": [30000], "pendingParties": [40000], "pulsarTls1": "x"})
    assert "federatedParties=[30000]" in line and "pendingParties=[40000]" in line and "pulsarTls" not in line


def test_reads_name_the_outputs_each_program_reads(tmp_path):
    write_stack(tmp_path, "exchange", exchange_config("party-30000", "party-40000"))
    write_stack(
        tmp_path, "party-30000", {"kubefate-tanzu:partyId": 30000, "kubefate-tanzu:exchange": {"stack": "exchange"}}
    )
    write_stack(tmp_path, "party-40000", {"kubefate-tanzu:role": "party"})
    fed = plan.resolve(tmp_path)
    reads = plan.reads(tmp_path, fed)
    party = ("partyId", "nginxEndpoint", "pulsarEndpoint", "pulsarCsr")
    assert reads["exchange"] == {"party-30000": party, "party-40000": party}
    assert reads["party-30000"] == {"exchange": ("exchangeEndpoint", "caCert", "pulsarCert30000")}
    assert reads["party-40000"] == {"exchange": None}  # no partyId in its file: every output counts
