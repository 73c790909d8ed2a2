"""Stack locks of Pulumi's file ("diy") backends: who holds one, and whether that holder still exists.

A diy backend locks a stack for an update by writing ``.pulumi/locks/<org>/<project>/<stack>/<uuid>.json``
(``{"pid", "username", "hostname", "timestamp"}``; the local-file driver adds a ``.json.attrs`` sidecar) and
deletes it at the end. A killed run leaves the file, and every later update stops at "the stack is currently
locked by 1 lock(s)". ``pulumi cancel`` is no fix to apply blindly: on a diy backend it deletes *every* lock
file of the stack, a live holder's too.

The verdict here is deliberately narrow. A lock is stale only when it was written on this host and its pid
does not exist, or exists but started after the lock was written (the pid was reused). A lock from another
host, or from a live process here, is never broken; the message names the holder and how to proceed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

LOCKED = "the stack is currently locked"
# "  file:///…/locks/organization/kubefate-tanzu/x/<uuid>.json: created by root@vm (pid 15053) at 2025-…Z"
_HOLDER = re.compile(
    r"^\s*(?P<where>\S+): created by (?P<user>[^@\s]*)@(?P<host>\S+) \(pid (?P<pid>\d+)\) "
    r"at (?P<ts>\S+)\s*$",
    re.MULTILINE,
)
CLOCK_SLACK = 2.0  # seconds: a holder starts before it writes its lock; allow for clock granularity


@dataclass(frozen=True)
class Lock:
    where: str  # the lock file (path on a file backend, URL in Pulumi's message)
    pid: int
    username: str
    hostname: str
    timestamp: datetime | None

    def holder(self) -> str:
        when = self.timestamp.strftime("%Y-%m-%d %H:%M:%S UTC") if self.timestamp else "an unknown time"
        return f"{self.username}@{self.hostname} (pid {self.pid}) since {when}"


@dataclass(frozen=True)
class Verdict:
    lock: Lock
    stale: bool
    reason: str
    remote: bool = False  # written on another host


def parse_timestamp(text: str) -> datetime | None:
    """Go's RFC 3339 with up to nanoseconds (``2025-01-02T03:04:05.123456789Z`` or ``+01:00``), as UTC."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text.strip())
    if not m:
        return None
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(f"{m.group(1)}.{frac}{zone}").astimezone(UTC)


def lock_from_json(where: str, text: str) -> Lock | None:
    try:
        doc = json.loads(text)
        return Lock(
            where,
            int(doc["pid"]),
            str(doc.get("username", "")),
            str(doc.get("hostname", "")),
            parse_timestamp(str(doc.get("timestamp", ""))),
        )
    except (ValueError, KeyError, TypeError):
        return None


def locks_from_error(text: str) -> list[Lock]:
    """The holders Pulumi lists under "the stack is currently locked by N lock(s)" (any diy backend)."""
    if LOCKED not in text:
        return []
    return [
        Lock(m["where"], int(m["pid"]), m["user"], m["host"], parse_timestamp(m["ts"])) for m in _HOLDER.finditer(text)
    ]


def state_root(backend_url: str) -> Path | None:
    """The directory of a ``file://`` backend; None for every other backend (locks are not read there)."""
    if not backend_url.startswith("file://"):
        return None
    return Path(backend_url.removeprefix("file://").split("?", 1)[0]).expanduser()


def lock_files(root: Path, project: str, stack: str) -> list[Path]:
    """Lock files of ``stack``: ``locks/<org>/<project>/<stack>/`` (project mode) or ``locks/<stack>/``
    (legacy layout); a qualified ``org/project/stack`` name points at one directory."""
    base = root / ".pulumi" / "locks"
    parts = stack.split("/")
    if len(parts) == 3:
        dirs = [base / parts[0] / parts[1] / parts[2]]
    else:
        dirs = [*base.glob(f"*/{project}/{stack}"), base / stack]
    return sorted(p for d in dirs if d.is_dir() for p in d.glob("*.json") if p.is_file())


def read_locks(root: Path, project: str, stack: str) -> list[Lock]:
    found = []
    for path in lock_files(root, project, stack):
        try:
            lock = lock_from_json(str(path), path.read_text())
        except OSError:  # removed meanwhile: its holder just finished
            continue
        found.append(lock or Lock(str(path), 0, "?", "?", None))
    return found


def remove(lock: Lock) -> None:
    path = Path(lock.where)
    path.unlink(missing_ok=True)
    Path(f"{path}.attrs").unlink(missing_ok=True)


def judge(lock: Lock, host: str, started_at: Callable[[int], float | None]) -> Verdict:
    """``started_at(pid)``: the wall-clock start of a process on this host, None when there is none."""
    if lock.hostname != host:
        return Verdict(
            lock,
            False,
            f"held by {lock.holder()} on another host; a lock from elsewhere is never broken from here",
            remote=True,
        )
    if lock.pid <= 0:
        return Verdict(lock, False, f"{lock.where} is unreadable, so its holder is unknown")
    start = started_at(lock.pid)
    if start is None:
        return Verdict(lock, True, f"written by {lock.holder()}; that process no longer exists on this host")
    if lock.timestamp is not None and start > lock.timestamp.timestamp() + CLOCK_SLACK:
        return Verdict(
            lock,
            True,
            f"written by {lock.holder()}; pid {lock.pid} now belongs to a process started after the lock was written",
        )
    return Verdict(lock, False, f"held by {lock.holder()}, a process still running on this host")


def advice(stack: str, verdicts: list[Verdict]) -> str:
    """What to do about locks that are not cleared here: a live holder, another host's, or a stale lock on a
    backend this command does not edit (s3://, gs://, azblob://)."""
    lines = [f"stack {stack} is locked:"]
    lines += [f"  - {v.reason} ({v.lock.where})" for v in verdicts]
    if all(v.stale for v in verdicts):
        lines.append(
            f"  Fix: no holder is alive; run `pulumi cancel --stack {stack} --yes` (it removes every lock "
            "of the stack), then re-run the command"
        )
    elif any(v.remote for v in verdicts):
        lines.append(
            "  Fix: wait for that run to finish. Only if you know it is gone (its machine was lost or "
            f"shut down): `pulumi cancel --stack {stack} --yes`, then re-run the command"
        )
    else:
        pids = ", ".join(str(v.lock.pid) for v in verdicts if not v.stale)
        lines.append(
            f"  Fix: wait for that run to finish, or stop it gracefully (Ctrl-C in its terminal, or "
            f"`kill -INT {pids}`), then re-run the command"
        )
    return "\n".join(lines)


def explain_error(stack: str, text: str, host: str, started_at: Callable[[int], float | None]) -> str | None:
    """Pulumi's lock error, turned into who holds the lock and what to do; None when ``text`` is not one."""
    if LOCKED not in text:
        return None
    verdicts = [judge(lock, host, started_at) for lock in locks_from_error(text)]
    if not verdicts:
        return (
            f"stack {stack} is locked by an update in progress. Fix: wait for it; `pulumi cancel --stack "
            f"{stack}` only if you know it is dead"
        )
    return advice(stack, verdicts)


def is_cloud_conflict(text: str) -> bool:
    """Pulumi Cloud's form of the same: an update is in progress (HTTP 409)."""
    return "Another update is currently in progress" in text or "[409] Conflict" in text
