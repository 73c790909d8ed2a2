"""The orchestrator with a fake Pulumi: order, parallel parties, a stack runs only when what it reads changed,
propagation for every stack order, bounded failure, destroy order, progress."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest
import yaml

from components import contracts
from federation import cli, plan
from federation.converge import NotConverged, PhaseFailed, Report, StackRunner, converge, run_phase
from federation.fingerprint import Inputs, MemoryRecords, Snapshot, digest
from federation.progress import Progress
from federation.summary import StackResult

FED = plan.Federation("exchange", ("party-30000", "party-40000"))
Spec = dict[str, dict[str, list[tuple[str, str]]]]  # stack -> output -> the (stack, output)s its value depends on


def federation_spec(exchange: str, parties: dict[str, int]) -> Spec:
    """The real federation's data flow (stacks/federation_links.py): each party exports its endpoints and its
    certificate request, the exchange signs each request and routes from the endpoints, each party reads back
    the exchange endpoint, the CA and its certificate; nothing a party exports depends on what it reads."""
    party_outputs = (contracts.PARTY_ID, contracts.NGINX_ENDPOINT, contracts.PULSAR_ENDPOINT, contracts.PULSAR_CSR)
    spec: Spec = {
        exchange: {
            contracts.EXCHANGE_ENDPOINT: [],
            contracts.CA_CERT: [],
            **{contracts.party_cert_output(pid): [(p, contracts.PULSAR_CSR)] for p, pid in parties.items()},
            contracts.FEDERATED_PARTIES: [(p, name) for p in parties for name in party_outputs],
        }
    }
    for party, pid in parties.items():
        spec[party] = {name: [] for name in party_outputs}
        spec[party][contracts.FEDERATION_STATUS] = [
            (exchange, contracts.EXCHANGE_ENDPOINT),
            (exchange, contracts.CA_CERT),
            (exchange, contracts.party_cert_output(pid)),
        ]
    return spec


def chain_spec(stacks: list[str]) -> Spec:
    """Each stack's output is derived from the previous one's: a change travels the whole chain."""
    spec: Spec = {stacks[0]: {"out": []}}
    for before, stack in itertools.pairwise(stacks):
        spec[stack] = {"out": [(before, "out")]}
    return spec


def reads_of(spec: Spec) -> dict[str, dict[str, tuple[str, ...]]]:
    reads: dict[str, dict[str, set[str]]] = {}
    for stack, outputs in spec.items():
        for deps in outputs.values():
            for ref, name in deps:
                reads.setdefault(stack, {}).setdefault(ref, set()).add(name)
    return {s: {ref: tuple(sorted(names)) for ref, names in refs.items()} for s, refs in reads.items()}


class World:
    """Stacks whose outputs are functions of their config and of what they read when they run, like the real
    ones: a stack that runs with stale inputs exports stale outputs. ``truth()`` is what every output must be
    once the change has reached everyone."""

    def __init__(self, spec: Spec, fail: str | None = None, unstable: tuple[str, ...] = (), barrier: bool = False):
        self.spec = spec
        self.config = dict.fromkeys(spec, 1)  # what every output of the stack depends on
        self.files = dict.fromkeys(spec, 0)  # stack file edits that change no existing output (Day 2)
        self.live: dict[str, dict[str, str]] = {}
        self.state: dict[str, int] = {}
        self.drifted: set[str] = set()
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.fail = fail
        self.unstable = unstable
        self.party_barrier = threading.Barrier(2, timeout=5) if barrier else None
        self.concurrent_parties = False
        self.existing: set[str] = set()
        self.records = MemoryRecords()

    # -- what the loop is given
    def inputs(self) -> Inputs:
        return Inputs(local=lambda s: digest([self.config[s], self.files.get(s, 0)]), reads=reads_of(self.spec))

    def converge(self, phases: list[list[str]], **kwargs) -> Report:
        kwargs.setdefault("max_passes", len(self.spec) + 1)
        return converge(self, phases, self.inputs(), self.records, **kwargs)

    # -- what a test does to it
    def truth(self) -> dict[str, dict[str, str]]:
        memo: dict[tuple[str, str], str] = {}

        def value(stack: str, name: str) -> str:
            if (stack, name) not in memo:
                deps = [value(*d) if d[0] in self.spec else None for d in self.spec[stack][name]]
                memo[stack, name] = digest([self.config[stack], name, deps])
            return memo[stack, name]

        return {s: {name: value(s, name) for name in outputs} for s, outputs in self.spec.items()}

    def ups(self) -> list[str]:
        return [s for op, s in self.calls if op == "up"]

    # -- the StackRunner
    def _record(self, op: str, stack: str) -> None:
        with self.lock:
            self.calls.append((op, stack))
        if self.fail == stack and op == "up":
            if self.party_barrier is not None:
                self.party_barrier.abort()  # the other party must not wait for this one
            raise RuntimeError(f"{stack} exploded")

    def ensure(self, stack: str) -> None:
        self._record("ensure", stack)
        self.existing.add(stack)

    def up(self, stack: str) -> StackResult:
        self._record("up", stack)
        unknown = set(self.spec) - self.existing
        if unknown:  # what the engine does with a StackReference to a stack that was never created
            raise RuntimeError(f"unknown stack {sorted(unknown)}")
        if self.party_barrier is not None and stack.startswith("party") and stack not in self.live:
            try:
                self.party_barrier.wait()  # both parties must be running at the same time
                self.concurrent_parties = True
            except threading.BrokenBarrierError:
                pass
        with self.lock:
            runs = self.state.get(stack, 0)
            new = {
                name: digest(
                    [self.config[stack], name, [self.live.get(s, {}).get(n) for s, n in deps]]
                    + ([runs] if stack in self.unstable else [])
                )
                for name, deps in self.spec[stack].items()
            }
            old = self.live.get(stack)
            changed = [n for n in new if old is None or old.get(n) != new[n]]
            if old is None:
                changes = {"create": len(new)}
            elif changed or stack in self.drifted:
                changes = {"update": max(1, len(changed)), "same": len(new) - len(changed)}
            else:
                changes = {"same": len(new)}
            if changes.get("same") != len(new):
                self.state[stack] = runs + 1
            self.live[stack] = new
            self.drifted.discard(stack)
        return StackResult(stack, "up", changes, dict(new))

    def snapshot(self, stack: str) -> Snapshot:
        with self.lock:
            if stack not in self.live:
                return Snapshot(digest(None))
            outputs = {k: digest(v) for k, v in self.live[stack].items()}
            return Snapshot(digest([stack, self.state[stack]]), outputs)

    def preview(self, stack: str) -> StackResult:
        assert self.existing >= set(self.spec), "preview before the stacks exist"
        self._record("preview", stack)
        if stack not in self.live:
            return StackResult(stack, "preview", {"create": 3})
        return StackResult(stack, "preview", {"update": 1} if stack in self.drifted else {"same": 3})

    def destroy(self, stack: str) -> StackResult:
        self._record("destroy", stack)
        self.live.pop(stack, None)
        return StackResult(stack, "destroy", {"delete": 4})

    def outputs(self, stack: str) -> dict[str, object] | None:
        self._record("outputs", stack)
        return {"federatedParties": [30000]} if stack == "exchange" else None

    # -- out-of-band events
    def changed_by_hand(self, stack: str) -> None:
        """Someone ran `pulumi up`/`refresh` on the stack: its state is not the one the record describes."""
        self.state[stack] += 1

    def live_drift(self, stack: str) -> None:
        """kubectl edited an object: the state still looks untouched, only a refreshing preview sees it."""
        self.drifted.add(stack)


def fed_world(**kwargs) -> World:
    kwargs.setdefault("barrier", True)
    return World(federation_spec(FED.exchange, {"party-30000": 30000, "party-40000": 40000}), **kwargs)


def test_from_empty_five_runs_in_one_pass_parties_exchange_parties():
    world = fed_world()
    passes = []
    report = world.converge(plan.up_phases(FED), report=lambda n, r: passes.append((n, r)))
    assert report.passes == 1 and report.runs == 5  # 2N+1: each party before and after the signature
    assert sorted(world.calls[:3]) == [("ensure", s) for s in sorted(FED.all_stacks)]
    ups = world.ups()
    assert set(ups[0:2]) == set(FED.parties) and ups[2] == "exchange" and set(ups[3:5]) == set(FED.parties)
    assert world.concurrent_parties
    assert world.live == world.truth()
    assert [r.changed for r in passes[0][1]] == [True] * 5


def test_a_converged_federation_runs_no_stack():
    world = fed_world()
    world.converge(plan.up_phases(FED))
    world.calls.clear()
    report = world.converge(plan.up_phases(FED))
    assert report.passes == 1 and report.runs == 0 and world.ups() == []
    assert {r.operation for r in report.history[0]} == {"skip"}


def test_day2_runs_the_exchange_the_new_party_and_the_exchange_only():
    world = fed_world()
    world.converge(plan.up_phases(FED))
    world.calls.clear()
    bigger = plan.Federation(FED.exchange, (*FED.parties, "party-50000"))
    world.spec = federation_spec(FED.exchange, {"party-30000": 30000, "party-40000": 40000, "party-50000": 50000})
    world.config["party-50000"] = 1
    world.files[FED.exchange] += 1  # the new entry in exchange.parties: a new certificate, the others as they were
    report = world.converge(plan.up_phases(bigger))
    assert world.ups() == ["party-50000", "exchange", "party-50000"] and report.runs == 3
    assert world.live == world.truth()


def _affected(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]], spec: Spec, changed: str):
    """Stacks whose inputs differ: the changed one, and every reader of an output whose value changed."""
    moved = {(s, n) for s in after for n in after[s] if before.get(s, {}).get(n) != after[s][n]}
    readers = {s for s, outputs in spec.items() for deps in outputs.values() if moved & set(deps)}
    return {changed} | readers


def _orders():
    stacks = ["exchange", "party-30000", "party-40000", "party-50000"]
    parties = {"party-30000": 30000, "party-40000": 40000, "party-50000": 50000}
    fed_spec = federation_spec("exchange", parties)
    for order in itertools.permutations(stacks):
        yield f"fed-{'-'.join(order)}", fed_spec, [[s] for s in order]
    for order in itertools.permutations(parties):
        yield f"phases-{'-'.join(order)}", fed_spec, [list(order), ["exchange"], list(order)]
    chain = ["a", "b", "c", "d"]
    for order in itertools.permutations(chain):
        yield f"chain-{'-'.join(order)}", chain_spec(chain), [[s] for s in order]


@pytest.mark.parametrize(("spec", "phases"), [o[1:] for o in _orders()], ids=[o[0] for o in _orders()])
def test_every_change_reaches_every_reader_in_every_stack_order(spec, phases):
    world = World(spec)
    world.converge(phases)
    assert world.live == world.truth()
    for stack in spec:
        before = world.truth()
        world.config[stack] += 1
        world.calls.clear()
        world.converge(phases)
        assert world.live == world.truth(), f"after a change of {stack}"
        assert set(world.ups()) == _affected(before, world.truth(), spec, stack), f"after a change of {stack}"


def test_a_stack_changed_by_hand_runs_again_alone():
    world = fed_world()
    world.converge(plan.up_phases(FED))
    world.calls.clear()
    world.changed_by_hand("party-30000")
    world.converge(plan.up_phases(FED))
    assert world.ups() == ["party-30000"]


def test_without_records_every_stack_runs_once_and_nothing_changes():
    """A fresh machine or CI runner: no record is ever wrong, only slower."""
    world = fed_world()
    world.converge(plan.up_phases(FED))
    world.calls.clear()
    world.records = MemoryRecords()
    report = world.converge(plan.up_phases(FED))
    assert sorted(world.ups()) == sorted(FED.all_stacks) and not any(r.changed for r in report.history[0])


def test_full_runs_every_stack_once():
    world = fed_world()
    world.converge(plan.up_phases(FED))
    world.calls.clear()
    world.converge(plan.up_phases(FED), full=True)
    assert sorted(world.ups()) == sorted(FED.all_stacks)


def test_verify_previews_unchanged_stacks_once_and_updates_the_drifted_one():
    world = fed_world()
    world.converge(plan.up_phases(FED))
    world.calls.clear()
    world.live_drift("party-40000")
    assert world.converge(plan.up_phases(FED)).runs == 0  # without refresh the state is trusted
    world.calls.clear()
    report = world.converge(plan.up_phases(FED), verify=True)
    previews = sorted(s for op, s in world.calls if op == "preview")
    assert previews == sorted(FED.all_stacks) and world.ups() == ["party-40000"] and report.runs == 1
    assert not world.drifted


def test_outputs_that_change_on_every_run_fail_loudly_after_the_bound():
    world = fed_world(unstable=FED.all_stacks)
    with pytest.raises(NotConverged) as exc:
        world.converge(plan.up_phases(FED), max_passes=3)
    assert len(exc.value.history) == 3
    assert "still changing" in str(exc.value) and set(exc.value.still) <= set(FED.all_stacks) and exc.value.still


def test_a_failing_party_stops_the_pass_after_its_phase_finishes():
    world = fed_world(fail="party-40000")
    with pytest.raises(PhaseFailed) as exc:
        world.converge(plan.up_phases(FED))
    assert list(exc.value.errors) == ["party-40000"]
    assert [s.stack for s in exc.value.results] == ["party-30000"]
    assert world.ups().count("exchange") == 0
    world.fail = None
    world.calls.clear()
    world.converge(plan.up_phases(FED))  # party-30000's first run is done; both read back their certificates
    ups = world.ups()
    assert ups[:2] == ["party-40000", "exchange"] and sorted(ups[2:]) == sorted(FED.parties)
    assert world.live == world.truth()


def test_run_phase_is_sequential_with_parallel_one():
    seen = []
    results = run_phase(lambda s: (seen.append(s), StackResult(s, "up"))[1], ["a", "b", "c"], parallel=1)
    assert seen == ["a", "b", "c"] and [r.stack for r in results] == ["a", "b", "c"]


def test_max_passes_must_be_positive():
    with pytest.raises(ValueError):
        converge(fed_world(), plan.up_phases(FED), max_passes=0)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_progress_shows_elapsed_time_running_stacks_and_the_time_per_stack_and_pass():
    clock, lines = Clock(), []
    progress = Progress(lines.append, clock=clock)
    progress.pass_started(1)
    progress.started("exchange", "up")
    clock.now += 75
    progress.tick()
    progress.finished("exchange", "up", StackResult("exchange", "up", {"create": 10}))
    progress.started("party-30000", "up")
    clock.now += 5
    progress.finished("party-30000", "up", None, "boom")
    progress.pass_finished(1)
    assert lines == [
        "[0:00] pass 1",
        "[0:00] exchange: up started",
        "[1:15] running: exchange up 75s",
        "[1:15] exchange: up done in 75.0s, +10",
        "[1:15] party-30000: up started",
        "[1:20] party-30000: up failed in 5.0s, failed: boom",
    ]
    summary = progress.summary().splitlines()
    assert summary[1] == "   exchange     up 1x 75.0s" and summary[2] == "   party-30000  up 1x 5.0s"
    assert "   pass 1  80.0s, 2 run(s)" in summary and summary[-1] == "total 80.0s"


def test_the_ticker_names_what_is_still_running_until_it_stops():
    lines: list[str] = []
    progress = Progress(lines.append, interval=0.01)
    progress.started("party-30000", "up")
    with progress:
        deadline = threading.Event()
        for _ in range(500):
            if any("running: party-30000 up" in ln for ln in lines):
                break
            deadline.wait(0.01)
    count = len(lines)
    deadline.wait(0.05)
    assert any("running: party-30000 up" in ln for ln in lines) and len(lines) == count


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
        party = {"kubefate-tanzu:role": "party", "kubefate-tanzu:partyId": int(p.split("-")[1])}
        (tmp_path / f"Pulumi.{p}.yaml").write_text(yaml.safe_dump({"config": party}))
    return tmp_path


def run_cli(repo: Path, *argv: str, fake=None, env=None, monkeypatch=None):
    fake = fake or fed_world()
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


def test_cli_up_reports_progress_and_defaults_to_a_file_backend_in_the_repo(repo):
    code, text, _, env = run_cli(repo, "up")
    assert code == 0, text
    assert "== pass 1" in text and "== pass 2" not in text and "converged after 1 pass(es), 5 stack update(s)" in text
    assert "[0:00] party-30000: up started" in text and "exchange: up done in" in text
    assert "== time per stack" in text and "   exchange     up 1x" in text and "== time per pass" in text
    assert "   party-30000  up 2x" in text
    assert env["PULUMI_BACKEND_URL"] == f"file://{repo / '.pulumi-state'}"
    assert (repo / ".pulumi-state").is_dir()
    assert list((repo / ".local" / "converge").rglob("*.json")), "no records written"


def test_cli_up_again_runs_only_what_a_changed_file_feeds(repo):
    world = fed_world()
    run_cli(repo, "up", fake=world)
    world.calls.clear()
    code, text, _, _ = run_cli(repo, "up", fake=world)
    assert code == 0 and world.ups() == [] and "0 stack update(s)" in text
    assert "party-30000  skip    not run: inputs and state unchanged" in text
    doc = yaml.safe_load((repo / "Pulumi.party-30000.yaml").read_text())
    doc["config"]["kubefate-tanzu:sizing"] = "small"
    (repo / "Pulumi.party-30000.yaml").write_text(yaml.safe_dump(doc))
    world.calls.clear()
    run_cli(repo, "up", fake=world)
    assert world.ups() == ["party-30000"]
    world.calls.clear()
    run_cli(repo, "up", "--full", fake=world)
    assert sorted(world.ups()) == sorted(FED.all_stacks)


def test_cli_up_refresh_previews_and_repairs_a_drifted_party(repo):
    world = fed_world()
    run_cli(repo, "up", fake=world)
    world.live_drift("party-30000")
    world.calls.clear()
    code, text, _, _ = run_cli(repo, "up", "--refresh", fake=world)
    assert code == 0 and world.ups() == ["party-30000"] and "1 stack update(s)" in text
    assert "party-40000: preview started" in text


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
    code, text, _, _ = run_cli(repo, "up", "--max-passes", "2", fake=fed_world(unstable=FED.all_stacks))
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
    fake = fed_world()
    with pytest.raises(RuntimeError, match="unknown stack"):
        fake.up("exchange")


def test_cli_preview_expect_no_changes_is_a_drift_check(repo):
    code, text, _, _ = run_cli(repo, "preview", "--expect-no-changes")
    assert code == 3 and "changes expected in: exchange, party-30000, party-40000" in text
    quiet = fed_world()
    quiet.preview = lambda stack: StackResult(stack, "preview", {"same": 4})
    quiet.existing = set(FED.all_stacks)
    assert run_cli(repo, "preview", "--expect-no-changes", fake=quiet)[0] == 0
