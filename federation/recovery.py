"""What an interrupted run left, put right before the next one starts, where that is safe.

Three things survive a killed run (``kill -9``, a closed laptop, a lost CI runner):

1. **Processes** of the run: Pulumi's language hosts and providers, in process groups of their own, and a CLI
   whose parent died. Whatever carries the marker of a run whose Python process is gone is stopped
   (federation/processes.py); the watchdog (federation/reaper.py) normally did that already.
2. **Locks**: a lock file whose holder no longer exists on this host is stale and removed, with a message.
   A live holder or another host's lock is never touched: the command refuses, naming the holder
   (federation/locks.py). Only ``file://`` backends are read; on other backends Pulumi's own lock error is
   explained when it occurs.
3. **Truncated metadata** of the file backend: a run killed while the backend rewrote a checkpoint's
   ``.attrs`` sidecar leaves it empty, and the stack cannot be read at all until it is removed
   (federation/sidecars.py). Removed, once no live process holds a lock.
4. **Pending operations** in the state: adopted, re-read or cleared as federation/pending.py describes, then
   a refresh of exactly those resources makes the state match what exists.

Each step prints what it did, so the user sees why this run starts with a refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from federation import locks, pending, sidecars


class StateAccess(Protocol):
    """What recovery needs from Pulumi; automation.py implements it, tests fake it."""

    backend_url: str
    project: str

    def export(self, stack: str) -> dict[str, Any] | None: ...  # None: the stack does not exist
    def import_state(self, stack: str, state: dict[str, Any]) -> None: ...
    def refresh_targets(self, stack: str, targets: list[str]) -> None: ...


class Locked(Exception):
    """A stack is locked by a live holder or another host: nothing may run until it is released."""


@dataclass
class Host:
    """This machine, as lock files and processes see it; tests replace both functions."""

    name: str
    started_at: Callable[[int], float | None]  # wall-clock start of a pid here, None when there is none


def clear_stale_locks(stacks: Iterable[str], access: StateAccess, host: Host, out: Callable[[str], None]) -> None:
    """Remove stale lock files (file backends); raise Locked naming every live holder, stack by stack."""
    root = locks.state_root(access.backend_url)
    if root is None:
        return
    refused = []
    for stack in stacks:
        verdicts = [
            locks.judge(lock, host.name, host.started_at) for lock in locks.read_locks(root, access.project, stack)
        ]
        for v in verdicts:
            if v.stale:
                locks.remove(v.lock)
                out(f"recovery: {stack}: removed a stale lock: {v.reason}")
        live = [v for v in verdicts if not v.stale]
        if live:
            refused.append(locks.advice(stack, live))
    if refused:
        raise Locked("\n".join(refused))


def remove_truncated_sidecars(stacks: Iterable[str], access: StateAccess, out: Callable[[str], None]) -> None:
    """File backends only, and only after clear_stale_locks found no live holder (nothing writes them now)."""
    root = locks.state_root(access.backend_url)
    if root is None:
        return
    for stack in stacks:
        for path in sidecars.truncated(root, access.project, stack):
            path.unlink(missing_ok=True)
            out(
                f"recovery: {stack}: removed {path}: a run was killed while writing this metadata file, so "
                "Pulumi could not read the stack (its data file is whole; without the file Pulumi uses defaults)"
            )
        for path in sidecars.leftover_writes(root, access.project, stack):
            path.unlink(missing_ok=True)
            out(f"recovery: {stack}: removed {path.name}, the temporary file of a write a killed run left")


def resolve_pending(
    stack: str,
    access: StateAccess,
    out: Callable[[str], None],
    state: dict[str, Any] | None,
    fix: bool = True,
) -> pending.Resolution | None:
    """Adopt, re-read or clear the pending operations of one stack (``state``: its export, None when the stack
    does not exist); with ``fix=False`` only report them."""
    deployment = (state or {}).get("deployment") or {}
    ops = pending.pending_operations(deployment)
    if not ops:
        return None
    out(f"recovery: {stack}: {len(ops)} operation(s) left pending by an interrupted run:")
    for op in ops:
        out(f"   {op.describe()}")
    if not fix:
        out(f"recovery: {stack}: `python -m federation up` resolves them; this command changes nothing")
        return None
    resolution = pending.resolve(deployment)
    access.import_state(stack, {**(state or {}), "deployment": resolution.deployment})
    if resolution.refresh_targets:
        access.refresh_targets(stack, resolution.refresh_targets)
    for op, rid in resolution.imported:
        out(f"recovery: {stack}: adopted {op.type} {rid} if it exists (refreshed; dropped if it was never made)")
    for op in resolution.cleared:
        out(
            f"recovery: {stack}: cleared the pending create of {op.urn.rsplit('::', 1)[-1]} ({op.type}); "
            "the next update makes it"
        )
    if resolution.refreshed:
        out(
            f"recovery: {stack}: refreshed {len(resolution.refreshed)} resource(s) whose update or delete was "
            "interrupted"
        )
    return resolution


def recover(
    stacks: Iterable[str], access: StateAccess, host: Host, out: Callable[[str], None], fix_pending: bool = True
) -> list[pending.Resolution]:
    stacks = list(stacks)
    clear_stale_locks(stacks, access, host, out)
    remove_truncated_sidecars(stacks, access, out)
    # One export per stack, all at once: each is a CLI start, and they stand before the run's first update.
    with ThreadPoolExecutor(max_workers=max(1, len(stacks))) as pool:
        states = list(pool.map(access.export, stacks))
    resolutions = []
    for stack, state in zip(stacks, states, strict=True):
        resolution = resolve_pending(stack, access, out, state, fix=fix_pending)
        if resolution is not None:
            resolutions.append(resolution)
    return resolutions
