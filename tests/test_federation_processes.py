"""The run's processes without Pulumi: /proc parsing, leftovers of dead runs, the tracked CLI command (own
process group, marker, SIGINT), and the watchdog that kills what a ``kill -9`` of the whole run left behind.

A small Python program installed as ``pulumi`` stands in for the CLI: it answers ``version``, starts a "plugin"
in a session of its own (as Pulumi does with Setpgid), and exits 8 on SIGINT after saying so, as Pulumi's
graceful cancel does. Not a shell script: a suite's children can inherit SIGINT ignored (CI runners, ``nohup``),
and bash cannot trap a signal that was ignored when it started, while Go (the real CLI) and Python both take it
back when they install a handler (both keep a blocked signal blocked, which the product undoes). Its
interpreter is named on the ``#!`` line, so the kernel still calls the process ``pulumi``. It also exits by
itself when its parent is gone or after two minutes, and every test that starts one kills what carries the
test run's marker when it ends: a failing test leaves nothing running that holds a pipe of the job.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi.automation.errors import CommandError

from federation import processes
from federation.pulumi_command import ProcessTable, TrackedPulumiCommand, stack_of

REPO = Path(__file__).resolve().parents[1]

FAKE_PULUMI = """\
#!{python}
import os, signal, subprocess, sys, time

args = sys.argv[1:]
if args[:1] == ["version"]:
    print("v3.274.0")
    sys.exit(0)
if os.environ.get("FAKE_PLUGIN_PIDFILE"):
    plugin = subprocess.Popen(["sleep", "120"], start_new_session=True, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.environ["FAKE_PLUGIN_PIDFILE"], "w") as f:
        f.write(str(plugin.pid))
if os.environ.get("FAKE_READ_STDIN"):
    print("stdin:" + sys.stdin.readline().rstrip())
    sys.exit(0)


def cancel(_signum, _frame):
    print("^C received; cancelling", flush=True)
    os._exit(8)


# As the real CLI (Go's signal.Notify): an ignored SIGINT is taken back, an inherited mask is kept as it is.
signal.signal(signal.SIGINT, cancel)
print("running " + " ".join(args), flush=True)
parent, deadline = os.getppid(), time.monotonic() + 120
while os.getppid() == parent and time.monotonic() < deadline:
    time.sleep(0.05)
sys.exit(9)
"""


@pytest.fixture
def fake_root(tmp_path: Path) -> Path:
    (tmp_path / "bin").mkdir()
    script = tmp_path / "bin" / "pulumi"
    script.write_text(FAKE_PULUMI.format(python=sys.executable))
    script.chmod(0o755)
    return tmp_path


@pytest.fixture(autouse=True)
def nothing_of_this_run_outlives_the_test() -> Iterator[None]:
    """Fake CLIs and their plugins carry this pytest process's run marker: kill them whatever the outcome."""
    yield
    mine = processes.this_run()
    processes.kill(processes.of_run(processes.scan(), mine))


def wait_until(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def gone(pid: int) -> bool:
    return processes.read_proc(pid) is None  # a zombie counts as gone


# --- /proc parsing and the leftover rule ----------------------------------------------------------------------


def test_stat_parsing_survives_spaces_and_parentheses_in_the_name():
    line = "4242 (pulumi (lang) x) S 4200 4242 4100 0 -1 4194560 " + " ".join(["0"] * 12) + " 98765 0 0"
    assert processes.parse_stat(line) == ("pulumi (lang) x", 4200, 4242, 98765)


def fake_proc(root: Path, pid: int, comm: str, start: int, marker: str | None = None, state: str = "S") -> None:
    d = root / str(pid)
    d.mkdir(parents=True)
    fields = [state, "1", str(pid), "1", "0", "-1", "0"] + ["0"] * 12 + [str(start), "0", "0"]
    (d / "stat").write_text(f"{pid} ({comm}) {' '.join(fields)}\n")
    env = b"PATH=/bin\0" + (f"{processes.MARKER}={marker}\0".encode() if marker else b"")
    (d / "environ").write_bytes(env)


def test_only_processes_of_dead_runs_on_this_host_are_leftovers(tmp_path):
    fake_proc(tmp_path, 100, "python3", 5000)  # a live run's orchestrator
    fake_proc(tmp_path, 101, "pulumi", 5100, "vm:100:5000")  # its CLI: run alive
    fake_proc(tmp_path, 200, "pulumi-language", 6100, "vm:150:4000")  # run 150 is gone
    fake_proc(tmp_path, 201, "python3", 6200, "vm:100:4999")  # pid 100 reused by another process
    fake_proc(tmp_path, 300, "pulumi", 7000, "laptop:150:4000")  # another host's marker: never ours
    fake_proc(tmp_path, 400, "bash", 7100)
    procs = processes.scan(tmp_path)
    left = processes.leftovers(procs, "vm", lambda run: processes.run_alive(run, "vm", tmp_path))
    assert sorted(p.pid for p in left) == [200, 201]
    assert processes.RunId.parse("vm:100:5000") == processes.RunId("vm", 100, 5000)
    assert processes.RunId.parse("garbage") is None


def test_a_zombie_counts_as_gone_so_the_lock_of_a_killed_cli_is_stale(tmp_path):
    (tmp_path / "stat").write_text("cpu 0\nbtime 1000\n")
    fake_proc(tmp_path, 300, "pulumi", 6100, "vm:150:4000", state="Z")  # killed, not yet reaped by init
    fake_proc(tmp_path, 301, "pulumi", 6200, "vm:150:4000")
    assert processes.parse_state((tmp_path / "300" / "stat").read_text()) == "Z"
    assert processes.read_proc(300, tmp_path) is None and processes.started_at(300, tmp_path) is None
    assert [p.pid for p in processes.scan(tmp_path)] == [301]
    assert processes.started_at(301, tmp_path) is not None


def test_a_real_zombie_reads_as_gone():
    proc = subprocess.Popen(["sleep", "0.1"])
    assert wait_until(lambda: processes.parse_state(Path(f"/proc/{proc.pid}/stat").read_text()) == "Z")
    try:
        assert processes.read_proc(proc.pid) is None and processes.started_at(proc.pid) is None
    finally:
        proc.wait()


def test_stop_leftovers_asks_a_leftover_cli_to_stop_then_kills_the_rest(tmp_path):
    fake_proc(tmp_path, 200, "pulumi", 6100, "vm:150:4000")
    fake_proc(tmp_path, 201, "pulumi-resource", 6200, "vm:150:4000")
    sent: list[tuple[int, int]] = []

    def send(pid, sig):
        sent.append((pid, sig))
        if sig == signal.SIGKILL or (pid == 200 and sig == signal.SIGTERM):
            (tmp_path / str(pid) / "stat").unlink()  # it exits

    stopped = processes.stop_leftovers("vm", tmp_path, grace=1, send=send, sleep=lambda _s: None)
    assert sorted(p.pid for p in stopped) == [200, 201]
    assert sent == [(200, signal.SIGTERM), (201, signal.SIGKILL)]


def test_a_real_leftover_of_a_dead_run_is_stopped():
    dead = processes.RunId(processes.hostname(), 2**22 + 12345, 1)  # beyond pid_max: never alive
    env = {**os.environ, processes.MARKER: str(dead)}
    proc = subprocess.Popen(["sleep", "60"], env=env, start_new_session=True)
    try:
        assert wait_until(
            lambda: (processes.read_proc(proc.pid) or processes.ProcInfo(0, 0, 0, "", 0, None)).run == dead
        )
        stopped = processes.stop_leftovers(processes.hostname(), grace=1)
        assert proc.pid in [p.pid for p in stopped]
        assert proc.wait(timeout=5) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()


# --- the tracked CLI command --------------------------------------------------------------------------------


def test_stack_is_read_from_the_arguments():
    assert stack_of(["up", "--yes", "--stack", "party-30000"]) == "party-30000"
    assert stack_of(["stack", "export", "--stack=exchange"]) == "exchange"
    assert stack_of(["version"]) is None


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """This process ignores SIGINT while the block runs, so its children inherit it ignored (as in CI)."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_in_thread(command: TrackedPulumiCommand, root: Path, lines: list[str], block: bool = False):
    """``up`` of one stack in a worker thread, optionally with SIGINT/SIGTERM blocked in that thread."""
    errors: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        if block:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            command.run(["up", "--stack", "party-30000"], str(root), {}, on_output=lines.append)
        except BaseException as exc:  # the CLI's exit code 8 after the cancel
            errors.append(exc)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done, errors


def test_a_cli_started_from_a_thread_with_sigint_blocked_still_gets_the_cancel(fake_root):
    """Seen in CI: the worker thread had SIGINT blocked, the CLI inherited the mask and never cancelled."""
    table = ProcessTable(reaper=False)
    command = TrackedPulumiCommand(table, root=str(fake_root), skip_version_check=True)
    lines: list[str] = []
    done, errors = run_in_thread(command, fake_root, lines, block=True)
    try:
        assert wait_until(lambda: table.running() and lines), lines
        (running,) = table.running()
        blocked = int(processes_status(running.pid).get("SigBlk", "0"), 16)
        assert not blocked & (1 << (signal.SIGINT - 1)), "the CLI started with SIGINT blocked"
        table.signal(signal.SIGINT)
        assert done.wait(timeout=30), "the CLI never saw the SIGINT"
    finally:
        table.signal(signal.SIGKILL)
    assert isinstance(errors[0], CommandError) and "cancelling" in str(errors[0])


def processes_status(pid: int) -> dict[str, str]:
    text = Path(f"/proc/{pid}/status").read_text()
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def test_a_tracked_cli_leads_its_group_carries_the_marker_and_stops_on_sigint(fake_root):
    table = ProcessTable(reaper=False)
    command = TrackedPulumiCommand(table, root=str(fake_root), skip_version_check=True)
    lines: list[str] = []
    with sigint_ignored():  # what the suite's children inherit on some CI runners
        done, errors = run_in_thread(command, fake_root, lines)
        try:
            assert wait_until(lambda: table.running() and lines), lines
            (running,) = table.running()
            assert running.stack == "party-30000" and running.operation == "up"
            info = processes.read_proc(running.pid)
            assert info.comm == "pulumi" and info.pgid == running.pid and info.pgid != os.getpgid(0)
            assert info.run == table.run
            assert lines[0].startswith("running --non-interactive up --stack party-30000")
            assert [r.pid for r in table.signal(signal.SIGINT)] == [running.pid]
            assert done.wait(timeout=30), "the CLI never saw the SIGINT"
            assert wait_until(lambda: table.running() == [])
        finally:
            table.signal(signal.SIGKILL)
    assert isinstance(errors[0], CommandError) and "cancelling" in str(errors[0])


def test_secrets_reach_the_cli_on_stdin(fake_root):
    command = TrackedPulumiCommand(ProcessTable(reaper=False), root=str(fake_root), skip_version_check=True)
    result = command.run(
        ["config", "set", "k", "--secret"], str(fake_root), {"FAKE_READ_STDIN": "1"}, stdin_text="s3cr3t\n"
    )
    assert result.stdout == "stdin:s3cr3t"


# --- kill -9 of the whole run -------------------------------------------------------------------------------

ORCHESTRATOR = """\
import sys, threading
sys.path.insert(0, {repo!r})
from federation.pulumi_command import ProcessTable, TrackedPulumiCommand
table = ProcessTable()
command = TrackedPulumiCommand(table, root={root!r}, skip_version_check=True)
for stack in ("party-30000", "party-40000"):
    threading.Thread(target=command.run, args=(["up", "--stack", stack], {root!r}, {{}}), daemon=True).start()
print("started", flush=True)
threading.Event().wait()
"""


def test_sigkill_to_the_whole_run_leaves_no_process_behind(fake_root, tmp_path):
    pidfile = tmp_path / "plugin.pid"
    script = tmp_path / "orchestrator.py"
    script.write_text(textwrap.dedent(ORCHESTRATOR.format(repo=str(REPO), root=str(fake_root))))
    env = {**os.environ, "FAKE_PLUGIN_PIDFILE": str(pidfile)}
    run = subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert run.stdout.readline().strip() == "started"
        ticks = processes.start_ticks(run.pid)
        assert ticks is not None
        run_id = processes.RunId(processes.hostname(), run.pid, ticks)
        assert wait_until(lambda: len([p for p in processes.scan() if p.run == run_id and p.comm == "sleep"]) >= 2)
        members = processes.of_run(processes.scan(), run_id)
        assert {"pulumi", "sleep"} <= {p.comm for p in members}
        assert len({p.pgid for p in members}) >= 3  # two CLIs and their "plugins" in groups of their own

        os.killpg(run.pid, signal.SIGKILL)  # the run's own process group: none of the others
        run.wait(timeout=5)
        assert wait_until(lambda: all(gone(p.pid) for p in members), timeout=10), [
            p for p in members if not gone(p.pid)
        ]
    finally:
        for p in processes.of_run(processes.scan(), processes.RunId(processes.hostname(), run.pid, 0)):
            os.kill(p.pid, signal.SIGKILL)
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
