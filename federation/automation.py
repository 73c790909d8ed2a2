"""The one module that drives Pulumi: Automation API stacks over the project directory (Pulumi.yaml and the
``Pulumi.<stack>.yaml`` files), one LocalWorkspace per stack so parties can run in parallel threads.

Secret config (a kubeconfig for local trials) is written with ``pulumi config set --secret`` reading the
value from stdin: the Automation API's ``set_config`` would put it on the command line, where any local user
can read it in the process list.

Every CLI process goes through one TrackedPulumiCommand (federation/pulumi_command.py): its own process
group, the run's marker, listed while it runs, so an interrupt reaches it exactly once and a killed run leaves
nothing behind. The runner is also the StateAccess of federation/recovery.py (export, import, targeted
refresh), and turns Pulumi's lock error into who holds the lock and what to do (federation/locks.py).
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from federation import locks, processes
from federation.fingerprint import Snapshot, snapshot_of
from federation.pulumi_command import ProcessTable, TrackedPulumiCommand
from federation.summary import StackResult


class StackLocked(Exception):
    """Pulumi refused to run a stack because of a lock; the message says who holds it and what to do."""


@dataclass(frozen=True)
class ConfigSetting:
    key: str  # fully qualified, e.g. kubefate-tanzu:kubeconfig
    value: str
    secret: bool = False


@dataclass
class AutomationRunner:
    work_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    config: list[ConfigSetting] = field(default_factory=list)
    refresh: bool = False
    on_output: Callable[[str, str], None] | None = None  # (stack, line) for --verbose
    processes: ProcessTable | None = None
    command: Any = None  # a TrackedPulumiCommand, made on first use (it runs `pulumi version`)
    _configured: set[str] = field(default_factory=set, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    @property
    def backend_url(self) -> str:
        return self.env.get("PULUMI_BACKEND_URL", "")

    @property
    def project(self) -> str:
        try:
            return yaml.safe_load((self.work_dir / "Pulumi.yaml").read_text())["name"]
        except (OSError, KeyError, TypeError):
            return "kubefate-tanzu"

    def _command(self):
        with self._lock:
            if self.processes is None:
                self.processes = ProcessTable()
            if self.command is None:
                self.command = TrackedPulumiCommand(self.processes)
            return self.command

    def _options(self) -> auto.LocalWorkspaceOptions:
        return auto.LocalWorkspaceOptions(
            work_dir=str(self.work_dir), env_vars=dict(self.env), pulumi_command=self._command()
        )

    def _run(self, args: list[str], stdin_text: str | None = None):
        return self._command().run(args, str(self.work_dir), dict(self.env), stdin_text=stdin_text)

    def _explained(self, stack: str, exc: Exception) -> Exception:
        text = str(exc)
        advice = locks.explain_error(stack, text, processes.hostname(), processes.started_at)
        if advice is None and locks.is_cloud_conflict(text):
            advice = (
                f"stack {stack} is locked by an update in progress on the backend. Fix: wait for it; "
                f"`pulumi cancel --stack {stack}` only if you know it is dead"
            )
        return StackLocked(advice) if advice else exc

    def _stack(self, name: str, create: bool) -> auto.Stack:
        select = auto.create_or_select_stack if create else auto.select_stack
        stack = select(stack_name=name, work_dir=str(self.work_dir), opts=self._options())
        with self._lock:
            first = name not in self._configured
            self._configured.add(name)
        if first:
            self._apply_config(name)
        return stack

    def _apply_config(self, stack: str) -> None:
        for setting in self.config:
            mode = "--secret" if setting.secret else "--plaintext"
            self._run(["config", "set", setting.key, mode, "--stack", stack], stdin_text=setting.value)

    def _printer(self, stack: str) -> Callable[[str], None] | None:
        on_output = self.on_output
        if on_output is None:
            return None
        return lambda line: on_output(stack, line)

    def ensure(self, stack: str) -> None:
        self._stack(stack, create=True)

    def up(self, stack: str) -> StackResult:
        s = self._stack(stack, create=True)
        try:
            result = s.up(refresh=self.refresh, on_output=self._printer(stack), color="never")
        except auto.CommandError as exc:
            raise self._explained(stack, exc) from exc
        changes = _counts(result.summary.resource_changes)
        outputs = {k: v.value for k, v in result.outputs.items() if not v.secret}
        return StackResult(stack, "up", changes, outputs)

    def preview(self, stack: str) -> StackResult:
        s = self._stack(stack, create=True)
        try:
            result = s.preview(refresh=self.refresh, on_output=self._printer(stack), color="never", diff=True)
        except auto.CommandError as exc:
            raise self._explained(stack, exc) from exc
        return StackResult(stack, "preview", _counts(result.change_summary))

    def destroy(self, stack: str) -> StackResult:
        try:
            s = self._stack(stack, create=False)
        except auto.StackNotFoundError:
            return StackResult(stack, "destroy", {})
        try:
            result = s.destroy(on_output=self._printer(stack), color="never")
        except auto.CommandError as exc:
            raise self._explained(stack, exc) from exc
        return StackResult(stack, "destroy", _counts(result.summary.resource_changes))

    def close(self) -> None:
        """End of the command: the watchdog of this run finds nothing left and exits."""
        if self.processes is not None:
            self.processes.close()

    # --- StateAccess (federation/recovery.py) -------------------------------------------------------------

    def export(self, stack: str) -> dict[str, Any] | None:
        """The stack's state as ``pulumi stack export`` gives it: secrets stay encrypted (no --show-secrets,
        unlike the Automation API's export_stack), so nothing secret reaches a file or this process."""
        try:
            return json.loads(self._run(["stack", "export", "--stack", stack]).stdout)
        except auto.StackNotFoundError:
            return None

    def snapshot(self, stack: str) -> Snapshot:
        """What the convergence loop compares with its record. Secrets are decrypted (``--show-secrets``)
        because Pulumi re-encrypts a secret output on every update: its ciphertext would make every reader
        run again. The document stays in this process, and only its digests leave this method."""
        try:
            proc = self._run(["stack", "export", "--show-secrets", "--stack", stack])
        except auto.StackNotFoundError:
            return snapshot_of(None)
        return snapshot_of(json.loads(proc.stdout))

    def import_state(self, stack: str, state: dict[str, Any]) -> None:
        with tempfile.TemporaryDirectory(prefix="kft-state-") as tmp:  # 0700, removed right after
            path = Path(tmp) / "state.json"
            path.write_text(json.dumps(state))
            self._run(["stack", "import", "--file", str(path), "--stack", stack])

    def refresh_targets(self, stack: str, targets: list[str]) -> None:
        s = self._stack(stack, create=False)
        try:
            s.refresh(target=targets, on_output=self._printer(stack), color="never")
        except auto.CommandError as exc:
            raise self._explained(stack, exc) from exc

    def outputs(self, stack: str) -> dict[str, object] | None:
        try:
            s = auto.select_stack(stack_name=stack, work_dir=str(self.work_dir), opts=self._options())
        except auto.StackNotFoundError:
            return None
        return {k: v.value for k, v in s.outputs().items() if not v.secret}


def _counts(changes: Mapping[Any, int] | None) -> dict[str, int]:
    """Change counts keyed by plain operation names (the SDK hands some as OpType, a str enum)."""
    return {str(getattr(op, "value", op)): n for op, n in (changes or {}).items()}
