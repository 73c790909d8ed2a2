"""Whether a stack must run: its inputs and its state compared with what its last successful update left.

A stack's inputs are what its program reads: the program's files, its stack file (minus the keys the command
sets itself, whose values count instead), and the outputs it reads from other stacks. Its state is what the
backend holds for it. After a successful ``up`` the command records both digests; a later run skips a stack
whose inputs and state still match, because the engine would compute the same update from the same
inputs against the same state. Anything else touching the stack (a ``pulumi up``/``refresh``/``destroy`` by
hand, a run from another machine) changes its state digest, so the record is only trusted while the state is
exactly the one it describes.

Records are digests only (SHA-256), never values: a secret output or setting is hashed in memory and the
record cannot be turned back into it. They live next to the project (``.local/converge/``), keyed by backend:
a fresh machine or CI runner has none and runs every stack once, which is always correct, only slower.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Directories under the project that are not part of the Pulumi program (the command, tests, tooling).
NOT_PROGRAM = frozenset({"federation", "tests", "bench", "tools", "docs", "__pycache__"})
PROGRAM_FILES = ("Pulumi.yaml", "requirements.txt")
STACK_TYPE = "pulumi:pulumi:Stack"


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """A stack as the backend holds it: a digest of its resources, and one digest per output."""

    state: str
    outputs: Mapping[str, str] = field(default_factory=dict)


def snapshot_of(exported: Mapping[str, Any] | None) -> Snapshot:
    """From a ``pulumi stack export --show-secrets`` document (a ciphertext would change on every update of
    the stack that holds it, and with it the inputs of every reader)."""
    deployment = (exported or {}).get("deployment") or {}
    resources = deployment.get("resources") or []
    root = next((r for r in resources if r.get("type") == STACK_TYPE), {})
    outputs = {name: digest(value) for name, value in (root.get("outputs") or {}).items()}
    state = digest({"resources": resources, "pending": deployment.get("pending_operations") or []})
    return Snapshot(state, outputs)


def program_digest(root: Path) -> str:
    """Every file of the Pulumi program: the .py files outside the command's own packages, plus the project
    and requirements files (provider versions)."""
    files: dict[str, str] = {}
    for name in PROGRAM_FILES:
        path = root / name
        if path.is_file():
            files[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in NOT_PROGRAM)
        for name in filenames:
            if name.endswith(".py"):
                path = Path(dirpath) / name
                files[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest(files)


def stack_file_digest(path: Path, set_by_command: Iterable[str]) -> str:
    """The stack file's config, without the keys the command sets on every run: ``config set --secret``
    writes a new ciphertext each time, which would make every run look like a change."""
    if not path.is_file():
        return digest(None)
    doc = yaml.safe_load(path.read_text()) or {}
    config = dict(doc.get("config") or {})
    for key in set_by_command:
        config.pop(key, None)
    return digest({"config": config, "rest": {k: v for k, v in doc.items() if k != "config"}})


Reads = Mapping[str, Mapping[str, tuple[str, ...] | None]]  # stack -> {referenced stack: outputs, None = all}


@dataclass(frozen=True)
class Inputs:
    """How to fingerprint a stack: ``local(stack)`` digests its files and settings, ``reads`` names the
    outputs of other stacks it reads."""

    local: Callable[[str], str]
    reads: Reads = field(default_factory=dict)

    def referenced(self) -> set[str]:
        return {ref for refs in self.reads.values() for ref in refs}

    def of(self, stack: str, snapshots: Mapping[str, Snapshot]) -> str:
        seen: dict[str, dict[str, str | None]] = {}
        for ref, names in sorted(self.reads.get(stack, {}).items()):
            outputs = snapshots[ref].outputs if ref in snapshots else {}
            wanted = sorted(outputs) if names is None else names
            seen[ref] = {name: outputs.get(name) for name in wanted}
        return digest({"local": self.local(stack), "reads": seen})


@dataclass(frozen=True)
class Record:
    inputs: str
    state: str


class MemoryRecords:
    """Records kept for one process (tests, and runs that must not leave files)."""

    def __init__(self) -> None:
        self._records: dict[str, Record] = {}

    def get(self, stack: str) -> Record | None:
        return self._records.get(stack)

    def put(self, stack: str, record: Record) -> None:
        self._records[stack] = record


class FileRecords(MemoryRecords):
    """One JSON file per stack under ``directory``; a missing or unreadable file is no record."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory

    def _path(self, stack: str) -> Path:
        return self.directory / f"{digest(stack)[:16]}.json"

    def get(self, stack: str) -> Record | None:
        try:
            doc = json.loads(self._path(stack).read_text())
            return Record(inputs=doc["inputs"], state=doc["state"]) if doc.get("stack") == stack else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, stack: str, record: Record) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(stack)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"stack": stack, "inputs": record.inputs, "state": record.state}))
        tmp.replace(path)


def records_dir(config_dir: Path, backend_url: str) -> Path:
    return config_dir / ".local" / "converge" / digest(backend_url)[:16]
