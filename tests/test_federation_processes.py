"""The run's processes without Pulumi: /proc parsing, leftovers of dead runs, the tracked CLI command (own
process group, marker, SIGINT), and the watchdog that kills what a ``kill -9`` of the whole run left behind.

A shell script stands in for the Pulumi CLI: it answers ``version``, starts a "plugin" in a session of its own
(as Pulumi does with Setpgid), and exits 8 on SIGINT after saying so, as Pulumi's graceful cancel does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from federation import processes
from federation.pulumi_command import ProcessTable, TrackedPulumiCommand, stack_of

REPO = Path(__file__).resolve().parents[1]

FAKE_PULUMI = """\
#!/bin/bash
if [ "$1" = "version" ]; then echo v3.274.0; exit 0; fi
if [ -n "$FAKE_PLUGIN_PIDFILE" ]; then setsid sleep 300 & echo $! > "$FAKE_PLUGIN_PIDFILE"; fi
if [ -n "$FAKE_READ_STDIN" ]; then read -r line; echo "stdin:$line"; exit 0; fi
trap 'echo "^C received; cancelling"; exit 8' INT
echo "running $*"
# `wait` returns as soon as a trapped signal arrives; a foreground `sleep` would leave the trap to bash's
# wait-and-cooperative-exit rules, which skip it when the child happened to exit normally (flaky under load).
while true; do sleep 0.05 & wait $!; done
"""


@pytest.fixture
def fake_root(tmp_path: Path) -> Path:
    (tmp_path / "bin").mkdir()
    script = tmp_path / "bin" / "pulumi"
    script.write_text(FAKE_PULUMI)
    script.chmod(0o755)
    return tmp_path


def wait_until(predicate, timeout: float = 10.0) -> bool:
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
