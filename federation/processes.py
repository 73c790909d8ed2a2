"""The processes of a federation run, found through ``/proc`` by the marker every one of them inherits.

Pulumi starts each plugin (language host, providers) in a process group of its own, so neither a SIGKILL to
the run's process group nor the death of the CLI reaches them: after a ``kill -9`` they stay alive, orphaned,
holding nothing but memory. The environment is the one thing all of them share: the CLI passes its own to
every plugin, and plugins to the programs they run. So every Pulumi process of a run gets
``KFT_FEDERATION_RUN=<host>:<pid>:<start ticks>`` naming the run's Python process, and whatever carries the
marker of a run whose process no longer exists is a leftover that may be stopped. ``/proc`` is read through
a root directory so tests can fake it.

A zombie (state ``Z``) counts as gone: it has exited and holds nothing, but its ``/proc/<pid>/stat`` stays,
with the same start time, until its parent reaps it. After a ``kill -9`` the CLIs' parent is dead and they are
reaped by init, which in containers (this machine's PID 1 among them) may take seconds: read as alive, a
killed CLI would keep its stack's lock "held by a process still running on this host".
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

MARKER = "KFT_FEDERATION_RUN"
PROC = Path("/proc")


@dataclass(frozen=True)
class RunId:
    """Who started a run: host, pid and the pid's start time (a reused pid has another start time)."""

    host: str
    pid: int
    start: int  # clock ticks since boot, /proc/<pid>/stat field 22

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.start}"

    @classmethod
    def parse(cls, text: str) -> RunId | None:
        parts = text.rsplit(":", 2)
        try:
            return cls(parts[0], int(parts[1]), int(parts[2])) if len(parts) == 3 and parts[0] else None
        except ValueError:
            return None


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    ppid: int
    pgid: int
    comm: str
    start: int
    run: RunId | None  # the marker from its environment, when readable and present


def parse_stat(text: str) -> tuple[str, int, int, int]:
    """(comm, ppid, pgid, start ticks) from ``/proc/<pid>/stat``; comm may hold spaces and parentheses."""
    head, _, tail = text.rpartition(")")
    comm = head.partition("(")[2]
    fields = tail.split()
    # tail starts at field 3 (state): ppid is field 4, pgrp 5, starttime 22.
    return comm, int(fields[1]), int(fields[2]), int(fields[19])


def parse_state(text: str) -> str:
    """The state letter (field 3) of ``/proc/<pid>/stat``: R, S, D, T, Z (zombie), X (dead)..."""
    tail = text.rpartition(")")[2].split()
    return tail[0] if tail else "?"


EXITED = ("Z", "X")


def parse_environ(data: bytes) -> dict[str, str]:
    env = {}
    for item in data.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            env[key.decode(errors="replace")] = value.decode(errors="replace")
    return env


def read_proc(pid: int, root: Path = PROC) -> ProcInfo | None:
    """One process, or None when it is gone or a zombie (its environment stays unknown when not ours to read)."""
    base = root / str(pid)
    try:
        text = (base / "stat").read_text()
        comm, ppid, pgid, start = parse_stat(text)
    except (OSError, ValueError, IndexError):
        return None
    if parse_state(text) in EXITED:
        return None
    try:
        marker = parse_environ((base / "environ").read_bytes()).get(MARKER)
    except OSError:
        marker = None
    return ProcInfo(pid, ppid, pgid, comm, start, RunId.parse(marker) if marker else None)


def scan(root: Path = PROC) -> list[ProcInfo]:
    try:
        pids = [int(p.name) for p in root.iterdir() if p.name.isdigit()]
    except OSError:
        return []
    return [info for pid in pids if (info := read_proc(pid, root)) is not None]


def start_ticks(pid: int, root: Path = PROC) -> int | None:
    info = read_proc(pid, root)
    return info.start if info else None


def boot_time(root: Path = PROC) -> float:
    for line in (root / "stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    raise OSError("no btime in /proc/stat")


def started_at(pid: int, root: Path = PROC) -> float | None:
    """Wall-clock start of ``pid`` (seconds since the epoch), None when no such process exists."""
    ticks = start_ticks(pid, root)
    if ticks is None:
        return None
    return boot_time(root) + ticks / os.sysconf("SC_CLK_TCK")


def hostname() -> str:
    """What Pulumi's file backend writes into its lock files (Go's os.Hostname, the kernel's nodename)."""
    return socket.gethostname()


def this_run(root: Path = PROC) -> RunId:
    pid = os.getpid()
    return RunId(hostname(), pid, start_ticks(pid, root) or 0)


def run_alive(run: RunId, host: str, root: Path = PROC) -> bool:
    """A run on another host is never judged from here: it counts as alive."""
    if run.host != host:
        return True
    return start_ticks(run.pid, root) == run.start


def of_run(procs: Iterable[ProcInfo], run: RunId) -> list[ProcInfo]:
    return [p for p in procs if p.run == run]


def leftovers(procs: Iterable[ProcInfo], host: str, alive: Callable[[RunId], bool]) -> list[ProcInfo]:
    """Processes of earlier runs on this host whose Python process is gone (killed, or the terminal closed)."""
    return [p for p in procs if p.run is not None and p.run.host == host and not alive(p.run)]


def kill(
    procs: Iterable[ProcInfo], sig: int = signal.SIGKILL, send: Callable[[int, int], None] = os.kill, root: Path = PROC
) -> list[ProcInfo]:
    """Signal each process, checked against its start time so a pid reused meanwhile is left alone."""
    done = []
    for p in procs:
        if start_ticks(p.pid, root) != p.start:
            continue
        try:
            send(p.pid, sig)
            done.append(p)
        except (ProcessLookupError, PermissionError):
            pass
    return done


def stop_leftovers(
    host: str,
    root: Path = PROC,
    grace: float = 10.0,
    send: Callable[[int, int], None] = os.kill,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ProcInfo]:
    """Stop what earlier, dead runs left: a Pulumi CLI first gets SIGTERM (Pulumi then cancels and releases
    its lock itself) and ``grace`` seconds; then everything of those runs still there gets SIGKILL."""
    found = leftovers(scan(root), host, lambda run: run_alive(run, host, root))
    if not found:
        return []
    runs = {p.run for p in found}
    cli = [p for p in found if p.comm == "pulumi"]
    if cli:
        kill(cli, signal.SIGTERM, send, root)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(read_proc(p.pid, root) for p in cli):
            sleep(0.2)
    killed: list[ProcInfo] = []
    for _ in range(3):  # a language host may have started a program while we looked
        rest = [p for p in scan(root) if p.run in runs]
        if not rest:
            break
        killed += kill(rest, signal.SIGKILL, send, root)
        sleep(0.2)
    # Return only once they have exited: the caller judges the locks they held next (by their pids).
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(start_ticks(p.pid, root) == p.start for p in [*cli, *killed]):
        sleep(0.1)
    return found
