"""Ctrl-C and SIGTERM during ``federation up|preview|destroy``: stop the way Pulumi's own Ctrl-C stops.

Pulumi's CLI answers its first SIGINT or SIGTERM by cancelling gracefully (in-flight resource operations
finish, the state is saved, the lock released) and a second one by terminating at once. The CLIs run in
process groups of their own (federation/pulumi_command.py), so the terminal's Ctrl-C reaches only this
process, which then:

1. stops starting operations (the loop in converge.py checks ``requested`` before each stack and phase),
2. forwards one SIGINT to every running CLI: Pulumi's graceful cancel,
3. after ``timeout`` seconds still running, or on a second Ctrl-C, forwards the second SIGINT (Pulumi
   terminates; what that leaves pending the next ``up`` resolves), and after ``force_after`` more seconds, or
   on a third Ctrl-C, kills every process of the run.

The command then reports which stacks completed, which were interrupted and what to run next, and exits
with 128 + the signal's number.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from federation.converge import Interrupted
from federation.summary import describe


class Signaller(Protocol):
    """The live CLI processes (federation/pulumi_command.py's ProcessTable; tests fake it)."""

    def signal(self, sig: int) -> list[Any]: ...
    def kill_all(self) -> int: ...


class NoProcesses:
    def signal(self, sig: int) -> list[Any]:
        return []

    def kill_all(self) -> int:
        return 0


def _stacks(running: list[Any]) -> str:
    names = sorted({getattr(r, "stack", None) or "?" for r in running})
    return ", ".join(names) or "none"


class Interruption:
    """Set ``requested`` on the first signal and drive the escalation; ``install`` hooks SIGINT and SIGTERM."""

    def __init__(
        self, processes: Signaller, out: Callable[[str], None], timeout: float = 120.0, force_after: float = 15.0
    ):
        self.processes = processes
        self.out = out
        self.timeout = timeout
        self.force_after = force_after
        self.requested = threading.Event()
        self.signum: int | None = None
        self.level = 0
        self._done = threading.Event()
        self._lock = threading.Lock()

    def is_set(self) -> bool:
        return self.requested.is_set()

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)

    def handle(self, signum: int, _frame: Any = None) -> None:
        if self.signum is None:
            self.signum = signum
        self.escalate()

    def escalate(self) -> None:
        with self._lock:
            self.level += 1
            level = self.level
        name = signal.Signals(self.signum or signal.SIGINT).name
        if level == 1:
            self.requested.set()
            sent = self.processes.signal(signal.SIGINT)
            self.out(
                f"{name} received: no further stack is started; asking the running Pulumi operation(s) "
                f"({_stacks(sent)}) to stop gracefully, as Pulumi's own Ctrl-C does. Waiting up to "
                f"{self.timeout:.0f}s; Ctrl-C again stops them at once"
            )
            threading.Thread(target=self._deadline, daemon=True).start()
        elif level == 2:
            sent = self.processes.signal(signal.SIGINT)
            if sent:
                self.out(
                    f"terminating the Pulumi operation(s) still running ({_stacks(sent)}); what they leave "
                    "pending the next `federation up` resolves. Ctrl-C again kills them"
                )
        elif level == 3:
            killed = self.processes.kill_all()
            if killed:
                self.out(f"killed {killed} process(es) of this run")

    def _deadline(self) -> None:
        if not self._done.wait(self.timeout):
            self.escalate()
            if not self._done.wait(self.force_after):
                self.escalate()

    def finish(self) -> None:
        self._done.set()

    @contextmanager
    def install(self) -> Iterator[Interruption]:
        """Handlers for SIGINT and SIGTERM while the block runs (main thread only, as Python requires).

        A command started with them blocked (an inherited signal mask: some CI runners and job wrappers)
        would never run a handler, and the CI's cancel would find nothing stopping gracefully: they are
        unblocked for the block and the mask is put back after it. An inherited "ignored" needs nothing
        more: installing a handler replaces it."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        sigs = {signal.SIGINT, signal.SIGTERM}
        previous = {sig: signal.signal(sig, self.handle) for sig in sigs}
        mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, sigs)
        try:
            yield self
        finally:
            self.finish()
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def reason(error: str) -> str:
    """The line of a CLI failure that says what happened (Pulumi's last ``error:``), not the whole output."""
    lines = [ln.strip() for ln in error.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:") or " error: " in ln]
    if errors:
        return errors[-1][:200]
    code = next((ln for ln in lines if ln.startswith("code:")), None)
    return f"the Pulumi CLI exited ({code})" if code else (lines[-1][:200] if lines else "stopped")


def report(exc: Interrupted, command: str, rerun: str) -> str:
    """Which stacks completed, which were interrupted, which never started, and the command to run next."""
    lines = [f"interrupted: {command} stopped before it finished"]
    for r in exc.completed:
        lines.append(f"   completed    {r.stack}: {r.operation} {describe(r.changes)}")
    for stack, why in exc.interrupted.items():
        lines.append(f"   interrupted  {stack}: {reason(why)}")
    for stack in exc.not_started:
        lines.append(f"   not started  {stack}")
    lines.append(
        f"next: run `{rerun}` again. It clears what this run left (stale locks, pending operations; "
        'docs/federation.md, "When a run was interrupted") and carries on from the current state'
    )
    return "\n".join(lines)
