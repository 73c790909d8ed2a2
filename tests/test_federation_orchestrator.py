"""The orchestrator with a fake Pulumi: order, parallel parties, convergence, bounded failure, destroy order."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import yaml

from federation import cli, plan
from federation.converge import NotConverged, PhaseFailed, StackRunner, converge, run_phase
from federation.summary import StackResult

FED = plan.Federation("exchange", ("party-30000", "party-40000"))


class FakeFederation:
    """Stacks that behave like the real ones: the exchange changes on its first run (create) and on the first
    run after the parties exist (routes); each party changes on its first run only."""

    def __init__(self, exchange_drifts: bool = False, fail: str | None = None):
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.deployed: set[str] = set()
        self.routed: set[str] = set()
        self.exchange_drifts = exchange_drifts
        self.fail = fail
        self.party_barrier = threading.Barrier(2, timeout=5)
        self.concurrent_parties = False
        self.existing: set[str] = set()

    def ensure(self, stack: str) -> None:
        self._record("ensure", stack)
        self.existing.add(stack)

    def _record(self, op: str, stack: str) -> None:
        with self.lock:
            self.calls.append((op, stack))
        if self.fail == stack and op == "up":
            self.party_barrier.abort()  # the other party must not wait for this one
            raise RuntimeError(f"{stack} exploded")

    def up(self, stack: str) -> StackResult:
        self._record("up", stack)
        unknown = set(FED.all_stacks) - self.existing
        if unknown:  # what the engine does with a StackReference to a stack that was never created
            raise RuntimeError(f"unknown stack {sorted(unknown)}")
        if stack.startswith("party"):
            if stack not in self.deployed:
                try:
                    self.party_barrier.wait()  # both parties must be running at the same time
                    self.concurrent_parties = True
                except threading.BrokenBarrierError:
                    pass
            new = stack not in self.deployed
            self.deployed.add(stack)
            return StackResult(stack, "up", {"create": 5} if new else {"same": 5, "read": 1})
        parties = {s for s in self.deployed if s.startswith("party")}
        changes = {"same": 10}
        if stack not in self.deployed:
            changes = {"create": 10}
        elif parties != self.routed or self.exchange_drifts:
            changes = {"update": 2, "same": 8}
        self.deployed.add(stack)
        self.routed = set(parties)
        return StackResult(stack, "up", changes, {"federatedParties": sorted(self.routed)})

    def preview(self, stack: str) -> StackResult:
        assert self.existing >= set(FED.all_stacks), "preview before the stacks exist"
        self._record("preview", stack)
        return StackResult(stack, "preview", {"create": 3})

    def destroy(self, stack: str) -> StackResult:
        self._record("destroy", stack)
        self.deployed.discard(stack)
        return StackResult(stack, "destroy", {"delete": 4})

    def outputs(self, stack: str) -> dict[str, object] | None:
        self._record("outputs", stack)
        return {"federatedParties": [30000]} if stack == "exchange" else None


def test_fresh_federation_converges_in_two_passes_in_order():
    fake = FakeFederation()
    passes = []
    report = converge(fake, plan.up_phases(FED), report=lambda n, r: passes.append((n, r)))
    assert report.passes == 2
    assert fake.calls[:3] == [("ensure", s) for s in FED.all_stacks]
    ups = [s for op, s in fake.calls if op == "up"]
    assert ups[0] == "exchange" and ups[3] == "exchange"
    assert set(ups[1:3]) == {"party-30000", "party-40000"}
    assert ups[4] == "exchange" and ups[7] == "exchange" and len(ups) == 8
    assert fake.concurrent_parties
    assert [r.changed for r in passes[0][1]] == [True, True, True, True]
    assert not any(r.changed for r in passes[1][1])


def test_converged_federation_needs_one_pass():
    fake = FakeFederation()
    converge(fake, plan.up_phases(FED))
    fake.calls.clear()
    assert converge(fake, plan.up_phases(FED)).passes == 1
    assert [op for op, _ in fake.calls].count("up") == 4


def test_a_stack_that_keeps_changing_fails_loudly_after_the_bound():
    fake = FakeFederation(exchange_drifts=True)
    with pytest.raises(NotConverged) as exc:
        converge(fake, plan.up_phases(FED), max_passes=3)
    assert len(exc.value.history) == 3
    assert "exchange" in str(exc.value) and "party-30000" not in str(exc.value).split("still changing")[1]


def test_a_failing_party_stops_the_pass_after_its_phase_finishes():
    fake = FakeFederation(fail="party-40000")
    with pytest.raises(PhaseFailed) as exc:
        converge(fake, plan.up_phases(FED))
    assert list(exc.value.errors) == ["party-40000"]
    assert [s.stack for s in exc.value.results] == ["party-30000"]
    assert ("up", "exchange") in fake.calls and fake.calls.count(("up", "exchange")) == 1


def test_run_phase_is_sequential_with_parallel_one():
    seen = []
    results = run_phase(lambda s: (seen.append(s), StackResult(s, "up"))[1], ["a", "b", "c"], parallel=1)
    assert seen == ["a", "b", "c"] and [r.stack for r in results] == ["a", "b", "c"]


def test_max_passes_must_be_positive():
    with pytest.raises(ValueError):
        converge(FakeFederation(), plan.up_phases(FED), max_passes=0)


# --- the command line, with the fake behind it ------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    exchange = {
        "kubefate-tanzu:role": "exchange",
        "kubefate-tanzu:exchange": {
            "parties": [{"partyId": 30000, "stack": "party-30000"}, {"partyId": 40000, "stack": "party-40000"}]
        },
    }
    (tmp_path / "Pulumi.exchange.yaml").write_text(yaml.safe_dump({"config": exchange}))
    for p in FED.parties:
        (tmp_path / f"Pulumi.{p}.yaml").write_text(yaml.safe_dump({"config": {"kubefate-tanzu:role": "party"}}))
    return tmp_path


def run_cli(repo: Path, *argv: str, fake=None, env=None, monkeypatch=None):
    fake = fake or FakeFederation()
    lines: list[str] = []
    seen_env: dict = {}

    def make_runner(args: object, backend: dict[str, str]) -> StackRunner:
        seen_env.update(backend)
        return fake

    code = cli.main([*argv, "--config-dir", str(repo)], make_runner=make_runner, out=lines.append, sweep=list)
    return code, "\n".join(lines), fake, seen_env


@pytest.fixture(autouse=True)
def passphrase(monkeypatch):
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only")


def test_cli_up_reports_passes_and_defaults_to_a_file_backend_in_the_repo(repo):
    code, text, _, env = run_cli(repo, "up")
    assert code == 0
    assert "== pass 1" in text and "== pass 2" in text and "converged after 2 pass(es)" in text
    assert env["PULUMI_BACKEND_URL"] == f"file://{repo / '.pulumi-state'}"
    assert (repo / ".pulumi-state").is_dir()


def test_cli_backend_flag_and_environment(repo, monkeypatch):
    assert run_cli(repo, "up", "--backend", "s3://bucket/state")[3]["PULUMI_BACKEND_URL"] == "s3://bucket/state"
    monkeypatch.setenv("PULUMI_BACKEND_URL", "gs://other")
    assert run_cli(repo, "status")[3]["PULUMI_BACKEND_URL"] == "gs://other"


def test_cli_file_backend_needs_a_passphrase(repo, monkeypatch):
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    with pytest.raises(SystemExit, match="PULUMI_CONFIG_PASSPHRASE"):
        run_cli(repo, "up")


def test_cli_destroy_needs_yes_and_goes_parties_first(repo):
    code, text, fake, _ = run_cli(repo, "destroy")
    assert code == 2 and "--yes" in text and fake.calls == []
    code, _, fake, _ = run_cli(repo, "destroy", "--yes")
    assert code == 0
    order = [s for op, s in fake.calls if op == "destroy"]
    assert set(order[:2]) == {"party-30000", "party-40000"} and order[2] == "exchange"


def test_cli_preview_and_status(repo):
    code, _, fake, _ = run_cli(repo, "preview")
    previews = [s for op, s in fake.calls if op == "preview"]
    assert code == 0 and previews[0] == "exchange" and len(previews) == 3
    code, text, _, _ = run_cli(repo, "status")
    assert "exchange: federatedParties=[30000]" in text and "party-30000: not deployed" in text


def test_cli_not_converged_is_exit_code_one(repo):
    code, text, _, _ = run_cli(repo, "up", "--max-passes", "2", fake=FakeFederation(exchange_drifts=True))
    assert code == 1 and "no convergence after 2 passes" in text


def test_cli_plan_errors_are_exit_code_two(repo):
    code, text, _, _ = run_cli(repo, "up", "--variant", "local")
    assert code == 2 and "Pulumi.local-exchange.yaml" in text


def test_cli_config_settings_read_secrets_from_files(repo, tmp_path):
    kubeconfig = tmp_path / "kc.yaml"
    kubeconfig.write_text("apiVersion: v1\n")
    args = cli.parse_args(
        [
            "up",
            "--kubeconfig-file",
            str(kubeconfig),
            "--config",
            "sizing=trial",
            "--secret-file",
            f"other:token={kubeconfig}",
        ]
    )
    settings = {s.key: s for s in cli.config_settings(args)}
    assert settings["kubefate-tanzu:kubeconfig"].secret and settings["kubefate-tanzu:kubeconfig"].value == (
        "apiVersion: v1\n"
    )
    assert settings["other:token"].secret
    assert settings["kubefate-tanzu:sizing"].value == "trial" and not settings["kubefate-tanzu:sizing"].secret


def test_without_creating_stacks_first_the_engine_would_fail():
    """Guards the fake itself: a StackReference to a stack never created is an error in the engine."""
    fake = FakeFederation()
    with pytest.raises(RuntimeError, match="unknown stack"):
        fake.up("exchange")


def test_cli_preview_expect_no_changes_is_a_drift_check(repo):
    code, text, _, _ = run_cli(repo, "preview", "--expect-no-changes")
    assert code == 3 and "changes expected in: exchange, party-30000, party-40000" in text
    quiet = FakeFederation()
    quiet.preview = lambda stack: StackResult(stack, "preview", {"same": 4})
    quiet.existing = set(FED.all_stacks)
    assert run_cli(repo, "preview", "--expect-no-changes", fake=quiet)[0] == 0
