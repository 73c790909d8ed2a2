"""Every Pulumi CLI process of a run: started in a process group of its own, marked, and known by stack.

The Automation API starts ``pulumi`` with a plain ``subprocess.Popen`` in the caller's process group. A
Ctrl-C in the terminal then reaches each CLI directly *and* through the orchestrator, and a second SIGINT is
Pulumi's "terminate now". Here each CLI leads its own process group, so only the orchestrator signals it,
exactly as often as it means to (federation/interrupt.py). The table knows which stack each live process
serves, to report and to signal them.

Because a CLI in its own group survives a SIGKILL of the orchestrator's group, a watchdog (federation/
reaper.py) is started with the first CLI in a session of its own: it holds a pipe from this process and, when
that pipe closes (any exit, ``kill -9`` included), kills whatever still carries this run's marker
(federation/processes.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi.automation import PulumiCommand
from pulumi.automation._cmd import CommandResult, OnOutput
from pulumi.automation.errors import create_command_error

from federation import processes

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Running:
    pid: int
    stack: str | None
    args: tuple[str, ...]

    @property
    def operation(self) -> str:
        words = [a for a in self.args if not a.startswith("-")]
        return words[0] if words else "pulumi"


def stack_of(args: list[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg in ("--stack", "-s") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--stack="):
            return arg.split("=", 1)[1]
    return None


class ProcessTable:
    """The live CLI processes of this run, and the watchdog that outlives them if this process dies."""

    def __init__(self, run: processes.RunId | None = None, reaper: bool = True):
        self.run = run or processes.this_run()
        self._live: dict[int, Running] = {}
        self._lock = threading.Lock()
        self._want_reaper = reaper
        self._reaper: subprocess.Popen | None = None
        self.closed = False  # once set (interrupt escalated to kill), no new process may start

    def env(self) -> dict[str, str]:
        return {processes.MARKER: str(self.run)}

    def _ensure_reaper(self) -> None:
        if not self._want_reaper or self._reaper is not None:
            return
        env = {k: v for k, v in os.environ.items() if k != processes.MARKER}
        self._reaper = subprocess.Popen(
            [sys.executable, "-m", "federation.reaper", str(self.run)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def start(self, argv: list[str], stack: str | None, **popen: Any) -> subprocess.Popen:
        with self._lock:
            if self.closed:
                raise RuntimeError("the run was interrupted; no new Pulumi operation is started")
            self._ensure_reaper()
            # A child inherits the signal mask of the thread that starts it. The Automation API runs stacks in
            # worker threads, whose mask can have SIGINT/SIGTERM blocked (libraries block them in threads they
            # create); a CLI started so would never see the graceful cancel. Unblock them in this thread.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
            proc = subprocess.Popen(argv, process_group=0, **popen)
            self._live[proc.pid] = Running(proc.pid, stack, tuple(argv[1:]))
        return proc

    def finished(self, pid: int) -> None:
        with self._lock:
            self._live.pop(pid, None)

    def running(self) -> list[Running]:
        with self._lock:
            return list(self._live.values())

    def signal(self, sig: int) -> list[Running]:
        """Send ``sig`` to every live CLI (each alone leads its group: its plugins have groups of their own)."""
        sent = []
        for proc in self.running():
            try:
                os.killpg(proc.pid, sig)
                sent.append(proc)
            except (ProcessLookupError, PermissionError):
                pass
        return sent

    def kill_all(self) -> int:
        """SIGKILL to every live CLI's group and to every process carrying this run's marker."""
        with self._lock:
            self.closed = True
        self.signal(signal.SIGKILL)
        return len(processes.kill(processes.of_run(processes.scan(), self.run)))

    def close(self) -> None:
        """Normal end: the watchdog finds nothing left and exits."""
        if self._reaper is not None and self._reaper.stdin is not None:
            self._reaper.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._reaper.wait(timeout=10)


class TrackedPulumiCommand(PulumiCommand):
    """``PulumiCommand.run`` of pulumi 3.272.0 with three differences: the process leads its own process
    group, carries the run's marker, and is listed in the table while it runs. Optional ``stdin_text`` feeds
    secrets on stdin (``pulumi config set --secret``), never on the command line."""

    def __init__(self, table: ProcessTable, root: str | None = None, **checks: Any):
        # Not PulumiCommand.__init__: it runs `pulumi version` at once, a CLI start before the first stack can
        # start, while only the Automation API's own calls (destroy, targeted refresh, outputs) need the version.
        self.command = os.path.join(root, "bin", "pulumi") if root else "pulumi"
        self.table = table
        self._root = root
        self._checks = checks
        self._version: Any = None
        self._version_lock = threading.Lock()

    @property
    def version(self) -> Any:  # type: ignore[override]
        """The CLI's version, checked against the Automation API's minimum the first time it is asked for."""
        with self._version_lock:
            if self._version is None:
                self._version = PulumiCommand(self._root, **self._checks).version
            return self._version

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
        stdin_text: str | None = None,
    ) -> CommandResult:
        if "--non-interactive" not in args:
            args.insert(0, "--non-interactive")
        env = {**os.environ, **additional_env, **self.table.env(), "PULUMI_AUTOMATION_API": "true"}
        proc = self.table.start(
            [self.command, *args],
            stack_of(args),
            cwd=cwd,
            env=env,
            encoding="utf-8",
            stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            out: list[str] = []
            err: list[str] = []

            def consume(stream, callback, chunks):
                for line in iter(stream.readline, ""):
                    if callback:
                        callback(line.rstrip())
                    chunks.append(line.rstrip())
                stream.close()

            readers = [
                threading.Thread(target=consume, args=(proc.stdout, on_output, out), daemon=True),
                threading.Thread(target=consume, args=(proc.stderr, on_error, err), daemon=True),
            ]
            for reader in readers:
                reader.start()
            if stdin_text is not None:
                assert proc.stdin is not None  # opened as a PIPE whenever stdin_text is given
                proc.stdin.write(stdin_text)
                proc.stdin.close()
            for reader in readers:
                reader.join()
            code = proc.wait()
        finally:
            self.table.finished(proc.pid)
        result = CommandResult(stdout="\n".join(out), stderr="\n".join(err), code=code)
        if code != 0:
            raise create_command_error(result)
        return result
