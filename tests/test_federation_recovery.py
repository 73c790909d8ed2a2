"""Recovery after an interrupted run, with fakes: stale and live locks, pending operations, the CLI's order."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest
import yaml

from federation import cli, locks, pending, recovery
from federation.converge import StackRunner
from federation.summary import StackResult

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
PROJECT = "kubefate-tanzu"


def write_lock(
    root: Path,
    stack: str,
    name: str,
    pid: int,
    host: str = "vm",
    ts: str = "2026-01-02T03:04:05Z",
    org: str = "organization",
) -> Path:
    d = root / ".pulumi" / "locks" / org / PROJECT / stack
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{name}.json"
    path.write_text(json.dumps({"pid": pid, "username": "root", "hostname": host, "timestamp": ts}))
    (d / f"{name}.json.attrs").write_text("{}")
    return path


def host(alive: dict[int, float]) -> recovery.Host:
    """This host is "vm"; ``alive`` maps pids to their start time."""
    return recovery.Host("vm", alive.get)


# --- locks ------------------------------------------------------------------------------------------------


def test_timestamps_with_nanoseconds_and_offsets_parse_as_utc():
    assert locks.parse_timestamp("2026-01-02T03:04:05.123456789Z").timestamp() == pytest.approx(T0 + 0.123456)
    assert locks.parse_timestamp("2026-01-02T04:04:05+01:00").timestamp() == T0
    assert locks.parse_timestamp("yesterday") is None


def test_a_lock_of_a_vanished_process_on_this_host_is_stale():
    lock = locks.Lock("l.json", 15053, "root", "vm", locks.parse_timestamp("2026-01-02T03:04:05Z"))
    verdict = locks.judge(lock, "vm", {}.get)
    assert verdict.stale and "no longer exists" in verdict.reason and "pid 15053" in verdict.reason


def test_a_reused_pid_does_not_keep_a_lock_alive():
    lock = locks.Lock("l.json", 15053, "root", "vm", locks.parse_timestamp("2026-01-02T03:04:05Z"))
    assert locks.judge(lock, "vm", {15053: T0 + 3600}.get).stale  # started an hour after the lock
    assert not locks.judge(lock, "vm", {15053: T0 - 1}.get).stale  # the holder itself


def test_another_hosts_lock_is_never_judged_stale():
    lock = locks.Lock("l.json", 1, "ci", "runner-7", locks.parse_timestamp("2026-01-02T03:04:05Z"))
    verdict = locks.judge(lock, "vm", {}.get)  # pid 1 "does not exist" here, which says nothing
    assert not verdict.stale and verdict.remote and "runner-7" in verdict.reason


def test_pulumis_lock_error_is_parsed_for_any_diy_backend():
    text = (
        "error: the stack is currently locked by 2 lock(s). Either wait for the other process(es) to end or "
        "delete the lock file with `pulumi cancel`.\n"
        "  s3://bucket/.pulumi/locks/organization/p/exchange/a.json: created by root@vm (pid 15053) at "
        "2026-01-02T03:04:05Z\n"
        "  s3://bucket/.pulumi/locks/organization/p/exchange/b.json: created by ci@runner-7 (pid 9) at "
        "2026-01-02T03:04:06.5Z"
    )
    found = locks.locks_from_error(text)
    assert [(lk.hostname, lk.pid) for lk in found] == [("vm", 15053), ("runner-7", 9)]
    advice = locks.explain_error("exchange", text, "vm", {}.get)
    assert advice is not None
    assert "no longer exists" in advice and "runner-7" in advice and "Only if you know it is gone" in advice
    assert locks.explain_error("exchange", "error: something else", "vm", {}.get) is None


def test_a_stale_lock_on_a_backend_not_edited_here_gets_the_cancel_command():
    text = (
        "error: the stack is currently locked by 1 lock(s). x\n  gs://b/.pulumi/locks/o/p/s/a.json: created "
        "by root@vm (pid 15053) at 2026-01-02T03:04:05Z"
    )
    advice = locks.explain_error("s", text, "vm", {}.get)
    assert advice is not None
    assert "no holder is alive" in advice and "pulumi cancel --stack s --yes" in advice


def test_lock_files_are_found_in_project_and_legacy_layouts(tmp_path):
    a = write_lock(tmp_path, "exchange", "a", 1)
    legacy = tmp_path / ".pulumi" / "locks" / "exchange"
    legacy.mkdir(parents=True)
    (legacy / "b.json").write_text("{}")
    write_lock(tmp_path, "party-30000", "c", 2)
    assert locks.lock_files(tmp_path, PROJECT, "exchange") == sorted([a, legacy / "b.json"])
    assert locks.lock_files(tmp_path, PROJECT, f"organization/{PROJECT}/exchange") == [a]
    assert locks.state_root("file:///x/y?no_tmp_dir=true") == Path("/x/y")
    assert locks.state_root("s3://bucket") is None


# --- pending operations -------------------------------------------------------------------------------------

STACK_URN = "urn:pulumi:s::kubefate-tanzu::pulumi:pulumi:Stack::kubefate-tanzu-s"
PROVIDER_URN = "urn:pulumi:s::kubefate-tanzu::pulumi:providers:kubernetes::k8s"
PROVIDER_REF = f"{PROVIDER_URN}::0c7d"


def res(name: str, rtype: str, inputs: dict | None = None, rid: str | None = None, **extra) -> dict:
    r = {
        "urn": f"urn:pulumi:s::kubefate-tanzu::{rtype}::{name}",
        "custom": True,
        "type": rtype,
        "inputs": inputs or {},
        "parent": STACK_URN,
        "provider": PROVIDER_REF,
        **extra,
    }
    if rid:
        r["id"] = rid
    return r


def deployment(resources: list[dict], ops: list[tuple[str, dict]]) -> dict:
    base = [
        {"urn": STACK_URN, "custom": False, "type": "pulumi:pulumi:Stack"},
        {"urn": PROVIDER_URN, "custom": True, "id": "0c7d", "type": "pulumi:providers:kubernetes", "parent": STACK_URN},
    ]
    return {"resources": base + resources, "pending_operations": [{"type": kind, "resource": r} for kind, r in ops]}


CM = "kubernetes:core/v1:ConfigMap"


def test_kubernetes_ids_come_from_the_checked_inputs():
    assert pending.kubernetes_id(res("a", CM, {"metadata": {"name": "a-1x2y", "namespace": "fate-30000"}})) == (
        "fate-30000/a-1x2y"
    )
    assert pending.kubernetes_id(res("ns", "kubernetes:core/v1:Namespace", {"metadata": {"name": "fate-1"}})) == (
        "fate-1"
    )
    assert pending.kubernetes_id(res("p", "random:index/randomPassword:RandomPassword", {"length": 20})) is None
    assert pending.kubernetes_id(res("x", CM, {"metadata": {}})) is None


def test_pending_creates_are_adopted_or_cleared_and_the_rest_refreshed():
    existing = res("routes", CM, {"metadata": {"name": "routes", "namespace": "fate-exchange"}}, "fate-exchange/routes")
    made = res("sni", CM, {"metadata": {"name": "sni-5k2q", "namespace": "fate-exchange"}})
    password = res("pw", "random:index/randomPassword:RandomPassword", {"length": 20})
    password["provider"] = None
    orphan_child = res(
        "child",
        CM,
        {"metadata": {"name": "c", "namespace": "fate-exchange"}},
        dependencies=["urn:pulumi:s::kubefate-tanzu::random:index/randomPassword:RandomPassword::pw"],
    )
    dep = deployment(
        [existing], [("creating", made), ("creating", password), ("creating", orphan_child), ("updating", existing)]
    )
    out = pending.resolve(dep)
    assert [(op.urn.rsplit("::", 1)[-1], rid) for op, rid in out.imported] == [("sni", "fate-exchange/sni-5k2q")]
    assert [op.urn.rsplit("::", 1)[-1] for op in out.cleared] == ["pw", "child"]  # child needs the cleared pw
    assert [op.kind for op in out.refreshed] == ["updating"]
    assert out.deployment["pending_operations"] == []
    assert out.deployment["resources"][-1]["id"] == "fate-exchange/sni-5k2q"
    assert set(out.refresh_targets) == {made["urn"], existing["urn"]}
    assert dep["pending_operations"]  # the input is not modified


def test_a_create_before_delete_replacement_marks_the_old_object_for_deletion():
    old = res("sni", CM, {"metadata": {"name": "sni-aaaa", "namespace": "fate-exchange"}}, "fate-exchange/sni-aaaa")
    new = res("sni", CM, {"metadata": {"name": "sni-bbbb", "namespace": "fate-exchange"}})
    out = pending.resolve(deployment([old], [("creating", new)]))
    same_urn = [r for r in out.deployment["resources"] if r["urn"] == old["urn"]]
    assert [(r["id"], bool(r.get("delete"))) for r in same_urn] == [
        ("fate-exchange/sni-aaaa", True),
        ("fate-exchange/sni-bbbb", False),
    ]


# --- recovery against a fake backend ------------------------------------------------------------------------


class FakeState:
    """StateAccess over dicts, recording what recovery did."""

    def __init__(self, root: Path, states: dict[str, dict]):
        self.backend_url = f"file://{root}"
        self.project = PROJECT
        self.states = states
        self.calls: list[tuple] = []

    def export(self, stack):
        self.calls.append(("export", stack))
        dep = self.states.get(stack)
        return None if dep is None else {"version": 3, "deployment": dep}

    def import_state(self, stack, state):
        self.calls.append(("import", stack))
        self.states[stack] = state["deployment"]

    def refresh_targets(self, stack, targets):
        self.calls.append(("refresh", stack, tuple(targets)))


def test_stale_locks_are_removed_with_a_message_and_live_ones_refuse(tmp_path):
    stale = write_lock(tmp_path, "exchange", "a", 15053)
    live = write_lock(tmp_path, "party-30000", "b", 777)
    remote = write_lock(tmp_path, "party-40000", "c", 15053, host="laptop-9")
    lines: list[str] = []
    state = FakeState(tmp_path, {})
    with pytest.raises(recovery.Locked) as exc:
        recovery.recover(["exchange", "party-30000", "party-40000"], state, host({777: T0 - 5}), lines.append)
    assert not stale.exists() and not Path(f"{stale}.attrs").exists()
    assert live.exists() and remote.exists()
    assert any("removed a stale lock" in ln and "pid 15053" in ln for ln in lines)
    text = str(exc.value)
    assert "party-30000" in text and "pid 777" in text and "kill -INT 777" in text
    assert "party-40000" in text and "laptop-9" in text and "exchange is locked" not in text
    assert state.calls == []  # nothing touches a state while a live holder exists


def test_pending_operations_are_resolved_and_refreshed(tmp_path):
    made = res("sni", CM, {"metadata": {"name": "sni-5k2q", "namespace": "fate-exchange"}})
    state = FakeState(tmp_path, {"exchange": deployment([], [("creating", made)]), "party-30000": deployment([], [])})
    lines: list[str] = []
    recovery.recover(["exchange", "party-30000", "party-new"], state, host({}), lines.append)
    # Every stack's state is read first (concurrently: each export is a CLI start), then the one with
    # pending operations is repaired.
    assert sorted(state.calls[:3]) == [("export", "exchange"), ("export", "party-30000"), ("export", "party-new")]
    assert state.calls[3:] == [("import", "exchange"), ("refresh", "exchange", (made["urn"],))]
    assert state.states["exchange"]["pending_operations"] == []
    assert any("adopted kubernetes:core/v1:ConfigMap fate-exchange/sni-5k2q" in ln for ln in lines)


def test_preview_only_reports_pending_operations(tmp_path):
    made = res("sni", CM, {"metadata": {"name": "sni-5k2q", "namespace": "fate-exchange"}})
    state = FakeState(tmp_path, {"exchange": deployment([], [("creating", made)])})
    lines: list[str] = []
    recovery.recover(["exchange"], state, host({}), lines.append, fix_pending=False)
    assert [c[0] for c in state.calls] == ["export"]
    assert any("interrupted while creating" in ln for ln in lines)
    assert any("`python -m federation up` resolves them" in ln for ln in lines)


# --- the command line runs recovery first -------------------------------------------------------------------


class RecoveringFederation(FakeState):
    """A federation whose stacks converge at once, plus the StateAccess of an AutomationRunner."""

    def ensure(self, stack):
        self.calls.append(("ensure", stack))

    def up(self, stack):
        self.calls.append(("up", stack))
        return StackResult(stack, "up", {"same": 3})

    def outputs(self, stack):
        return None


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only")
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    exchange = {
        "kubefate-tanzu:role": "exchange",
        "kubefate-tanzu:exchange": {"parties": [{"partyId": 30000, "stack": "party-30000"}]},
    }
    (tmp_path / "Pulumi.exchange.yaml").write_text(yaml.safe_dump({"config": exchange}))
    (tmp_path / "Pulumi.party-30000.yaml").write_text(yaml.safe_dump({"config": {}}))
    return tmp_path


def run(repo: Path, fake, *argv):
    lines: list[str] = []
    code = cli.main(
        [*argv, "--config-dir", str(repo)],
        make_runner=lambda a, e: cast(StackRunner, fake),
        out=lines.append,
        sweep=list,
        host=lambda: host({}),
    )
    return code, "\n".join(lines)


def test_up_clears_a_stale_lock_and_pending_creates_before_the_first_stack_runs(repo):
    state_dir = repo / ".pulumi-state"
    write_lock(state_dir, "exchange", "a", 15053)
    made = res("sni", CM, {"metadata": {"name": "sni-5k2q", "namespace": "fate-exchange"}})
    fake = RecoveringFederation(state_dir, {"exchange": deployment([], [("creating", made)])})
    code, text = run(repo, fake, "up")
    assert code == 0, text
    assert text.index("removed a stale lock") < text.index("adopted") < text.index("== pass 1")
    first_up = fake.calls.index(("up", "exchange"))
    assert fake.calls.index(("refresh", "exchange", (made["urn"],))) < first_up
    assert not list((state_dir / ".pulumi" / "locks").rglob("*.json"))


def test_up_refuses_while_a_live_process_holds_a_lock(repo):
    state_dir = repo / ".pulumi-state"
    write_lock(state_dir, "party-30000", "b", 777)
    fake = RecoveringFederation(state_dir, {})
    lines: list[str] = []
    code = cli.main(
        ["up", "--config-dir", str(repo)],
        make_runner=lambda a, e: cast(StackRunner, fake),
        out=lines.append,
        sweep=list,
        host=lambda: host({777: T0 - 5}),
    )
    text = "\n".join(lines)
    assert code == 1 and "stack party-30000 is locked" in text and "pid 777" in text
    assert not [c for c in fake.calls if c[0] in ("ensure", "up", "import", "refresh")]


# --- metadata sidecars a killed write left truncated ----------------------------------------------------------

ATTRS = '{"user.content_type":"text/plain; charset=utf-8","user.metadata":null,"md5":"STVNTcN/AUVg7eYboi+vkw=="}\n'


def checkpoint(root: Path, stack: str, attrs: str, legacy: bool = False) -> Path:
    d = root / ".pulumi" / "stacks" if legacy else root / ".pulumi" / "stacks" / PROJECT
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{stack}.json").write_text('{"version": 3, "checkpoint": {}}')
    sidecar = d / f"{stack}.json.attrs"
    sidecar.write_text(attrs)
    return sidecar


class FileBackendState(FakeState):
    """Fails to export a stack whose sidecars the fileblob driver could not decode, as Pulumi does."""

    def export(self, stack):
        if recovery.sidecars.truncated(Path(self.backend_url.removeprefix("file://")), PROJECT, stack):
            raise RuntimeError("error: failed to load checkpoint: EOF")
        return super().export(stack)


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("", True),
        ('{"user.content_type":"text/pl', True),
        ("[]", True),
        ("12", True),
        (ATTRS, False),
        ("{}", False),
        ("null", False),  # Go decodes null into the attributes struct without an error
        ("  " + ATTRS + "trailing", False),  # the decoder reads the first value only
    ],
)
def test_a_sidecar_is_unreadable_exactly_when_the_drivers_decoder_fails(tmp_path, text, bad):
    path = tmp_path / "x.json.attrs"
    path.write_text(text)
    assert recovery.sidecars.unreadable(path) is bad


def test_sidecars_of_checkpoints_backups_and_history_in_both_layouts(tmp_path):
    current = checkpoint(tmp_path, "exchange", "")
    legacy = checkpoint(tmp_path, "party-30000", "", legacy=True)
    backup = current.parent / "exchange.json.bak.attrs"
    backup.write_text("")
    history = tmp_path / ".pulumi" / "history" / PROJECT / "exchange"
    history.mkdir(parents=True)
    (history / "exchange-1700000000.history.json.attrs").write_text("")
    (history / "exchange-1700000000.checkpoint.json.attrs").write_text(ATTRS)
    other = checkpoint(tmp_path, "exchange-2", "")  # another stack whose name starts alike
    found = recovery.sidecars.truncated(tmp_path, PROJECT, "exchange")
    assert found == [current, backup, history / "exchange-1700000000.history.json.attrs"]
    assert other not in found
    assert recovery.sidecars.truncated(tmp_path, PROJECT, "party-30000") == [legacy]
    assert recovery.sidecars.truncated(tmp_path, PROJECT, f"organization/{PROJECT}/exchange") == found


def test_a_stack_may_exist_while_any_file_of_its_checkpoint_is_there_in_either_layout(tmp_path):
    """Only a backend with no file of the stack at all lets the command skip asking the CLI."""
    may_exist = recovery.sidecars.may_exist
    assert not may_exist(tmp_path, PROJECT, "exchange")  # no backend directory yet
    checkpoint(tmp_path, "exchange-2", "")  # a stack whose name starts alike
    assert not may_exist(tmp_path, PROJECT, "exchange")
    current = checkpoint(tmp_path, "exchange", "")
    assert may_exist(tmp_path, PROJECT, "exchange") and may_exist(tmp_path, PROJECT, f"organization/{PROJECT}/exchange")
    (current.parent / "exchange.json").unlink()
    current.rename(current.parent / "exchange.json.gz")  # a gzipped checkpoint alone
    assert may_exist(tmp_path, PROJECT, "exchange")
    checkpoint(tmp_path, "party-30000", "", legacy=True)
    assert may_exist(tmp_path, PROJECT, "party-30000") and not may_exist(tmp_path, PROJECT, "party-40000")


def test_a_truncated_checkpoint_sidecar_is_removed_before_the_state_is_read(tmp_path):
    broken = checkpoint(tmp_path, "exchange", "")
    kept = checkpoint(tmp_path, "party-30000", ATTRS)
    made = res("sni", CM, {"metadata": {"name": "sni-5k2q", "namespace": "fate-exchange"}})
    state = FileBackendState(tmp_path, {"exchange": deployment([], [("creating", made)])})
    lines: list[str] = []
    recovery.recover(["exchange", "party-30000"], state, host({}), lines.append)
    assert not broken.exists() and kept.read_text() == ATTRS
    assert any(f"recovery: exchange: removed {broken}: a run was killed while writing" in ln for ln in lines)
    assert ("import", "exchange") in state.calls  # the state could be read, and its pending create resolved


def test_temporary_files_of_killed_writes_are_removed_and_nothing_else(tmp_path):
    checkpoint(tmp_path, "exchange", ATTRS)
    stacks_dir = tmp_path / ".pulumi" / "stacks" / PROJECT
    history = tmp_path / ".pulumi" / "history" / PROJECT / "exchange"
    history.mkdir(parents=True)
    left = [
        stacks_dir / "exchange.json.18a2b3c4d5e6f708.tmp",
        stacks_dir / "exchange.json.attrs.18a2b3c4d5e6f709.tmp",
        history / "exchange-1700000000.checkpoint.json.18a2b3c4d5e6f70a.tmp",
    ]
    kept = [
        stacks_dir / "exchange.json",
        stacks_dir / "exchange-2.json.18a2b3c4d5e6f708.tmp",  # another stack's
        stacks_dir / "exchange.json.notes.tmp",  # not fileblob's pattern
    ]
    for path in left + kept[1:]:
        path.write_text("{")
    lines: list[str] = []
    recovery.recover(["exchange"], FileBackendState(tmp_path, {}), host({}), lines.append)
    assert [p for p in left if p.exists()] == [] and all(p.exists() for p in kept)
    assert sum("the temporary file of a write a killed run left" in ln for ln in lines) == 3


def test_sidecars_are_left_alone_while_a_live_process_holds_a_lock(tmp_path):
    broken = checkpoint(tmp_path, "exchange", "")
    write_lock(tmp_path, "exchange", "a", 777)
    with pytest.raises(recovery.Locked):
        recovery.recover(["exchange"], FileBackendState(tmp_path, {}), host({777: T0 - 5}), [].append)
    assert broken.exists()


def test_sidecars_are_only_read_on_file_backends(tmp_path):
    broken = checkpoint(tmp_path, "exchange", "")
    state = FakeState(tmp_path, {})
    state.backend_url = "s3://bucket/state"
    recovery.recover(["exchange"], state, host({}), [].append)
    assert broken.exists()
