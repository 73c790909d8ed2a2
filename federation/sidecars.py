"""Metadata sidecars of Pulumi's file ("diy") backend that a killed write left truncated.

The file backend stores every object (a stack's checkpoint, its history, a lock) through gocloud's fileblob
driver: the data goes to a temporary file that is renamed into place, so it is always whole, but first the
driver writes a ``<object>.attrs`` sidecar (content type, MD5) by truncating it and writing it again. A
``kill -9`` between the two leaves the sidecar empty or cut short, and from then on the object cannot be read:
every command on the stack fails with "failed to load checkpoint: EOF" (the sidecar's JSON), which no Pulumi
command repairs. A *missing* sidecar is fine: the driver then assumes default attributes. So an unreadable
sidecar is removed, with a message; a readable one is never touched. The temporary file of a write killed
before its rename (``<object>.<hex nanoseconds>.tmp``, beside the object) is never read nor removed by Pulumi;
it is removed too.

This runs only after every lock of the federation was judged (recovery.clear_stale_locks): with no live
holder, no update of these stacks is writing its sidecars at the same time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

SUFFIX = ".attrs"


def _stack_dirs(base: Path, project: str, stack: str) -> tuple[list[Path], str]:
    """The directories under ``base`` (``stacks`` or ``history``) that may hold ``stack``'s objects, and its
    short name: project mode (``<project>/<stack>``) and the legacy layout (``<stack>`` at the top)."""
    parts = stack.split("/")
    if len(parts) == 3:
        return [base / parts[1]], parts[2]
    return [base / project, base], stack


def _files(root: Path, project: str, stack: str, suffix: str) -> Iterator[Path]:
    """Files ending in ``suffix`` beside the stack's checkpoint (``<stack>.json*``: it, its backup) and in its
    update history."""
    pulumi_dir = root / ".pulumi"
    dirs, name = _stack_dirs(pulumi_dir / "stacks", project, stack)
    for d in dirs:
        if d.is_dir():
            yield from sorted(d.glob(f"{name}.json*{suffix}"))
    history_dirs, name = _stack_dirs(pulumi_dir / "history", project, stack)
    for d in history_dirs:
        if (d / name).is_dir():
            yield from sorted((d / name).glob(f"*{suffix}"))


def candidates(root: Path, project: str, stack: str) -> Iterator[Path]:
    """The sidecars of ``stack``'s checkpoint (and its backup) and of its update history."""
    return _files(root, project, stack, SUFFIX)


_TEMP = re.compile(r"\.[0-9a-f]+\.tmp$")  # fileblob's createTemp: <object>.<UnixNano in hex>.tmp


def leftover_writes(root: Path, project: str, stack: str) -> list[Path]:
    """Temporary files of killed writes of the stack's checkpoint, its backup and its history."""
    return sorted(p for p in _files(root, project, stack, ".tmp") if _TEMP.search(p.name))


def may_exist(root: Path, project: str, stack: str) -> bool:
    """False only when the backend holds no file of the stack's checkpoint at all (``<stack>.json``, gzipped,
    its backup or sidecars) in either layout: the stack was never created, and asking the CLI (a process
    start and the backend's setup) can be skipped."""
    dirs, name = _stack_dirs(root / ".pulumi" / "stacks", project, stack)
    return any(d.is_dir() and any(d.glob(f"{name}.json*")) for d in dirs)


def unreadable(path: Path) -> bool:
    """What the driver's JSON decoder rejects: nothing, a document cut short, or a value other than an object
    or null (it reads the first value and ignores what follows, so trailing bytes are fine). A file that
    cannot be read at all (gone meanwhile, no permission) is left to Pulumi's own error."""
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return False
    try:
        value, _ = json.JSONDecoder().raw_decode(text.lstrip())
    except ValueError:
        return True
    return not (value is None or isinstance(value, dict))


def truncated(root: Path, project: str, stack: str) -> list[Path]:
    return [p for p in candidates(root, project, stack) if unreadable(p)]
