"""The one module that drives Pulumi, over the project directory (Pulumi.yaml and the ``Pulumi.<stack>.yaml``
files); every call names its stack (``--stack``), so parties run in parallel threads.

Updates and previews are CLI runs (``pulumi up --stack S``) with the engine's event log for the change counts,
followed by one decrypted export that gives both the convergence loop's snapshot and the outputs shown:
the Automation API's ``up`` would also select the stack first and read its outputs twice and its history
after, four more CLI starts on the critical path of every phase (bench/results-engine.md). Destroy, the
recovery's targeted refresh and ``status`` still go through the Automation API (a LocalWorkspace per call).

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

from federation import locks, processes, sidecars
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
    _exists: dict[str, bool] = field(default_factory=dict, init=False)  # as the last export found it
    _fresh: set[str] = field(default_factory=set, init=False)  # created by this runner, never run since
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

    def _stack(self, name: str) -> auto.Stack:
        """An existing stack, for the operations still run through the Automation API (destroy, refresh)."""
        stack = auto.select_stack(stack_name=name, work_dir=str(self.work_dir), opts=self._options())
        self._configure(name)
        return stack

    def _configure(self, stack: str) -> None:
        with self._lock:
            first = stack not in self._configured
            self._configured.add(stack)
        if first:
            self._apply_config(stack)

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
        """The stack exists afterwards. One ``stack init`` when it is missing, nothing when recovery's export
        already found it: selecting a stack first (the Automation API's way) costs a CLI start per stack."""
        if self._exists.get(stack) is not True:
            try:
                self._run(["stack", "init", stack, "--no-select"])
                with self._lock:
                    self._fresh.add(stack)
            except auto.StackAlreadyExistsError:
                pass
            self._exists[stack] = True
        self._configure(stack)

    def _operation(self, stack: str, verb: list[str]) -> dict[str, int]:
        """``pulumi <verb>`` on the stack, straight through the CLI; the change counts come from the engine's
        event log (written to a private directory, removed right after). The Automation API's ``up`` selects
        the stack before and reads its outputs twice and its history after: four CLI starts per stack run,
        on the critical path of every phase, for what one export (``snapshot``) gives."""
        self._configure(stack)
        with tempfile.TemporaryDirectory(prefix="kft-events-") as tmp:
            log = Path(tmp) / "events.jsonl"
            args = [*verb, "--color", "never", "--exec-kind", "auto.local", "--stack", stack, "--event-log", str(log)]
            if self.refresh:
                args.append("--refresh")
            try:
                # --event-log is one of the CLI's debug flags (the Automation API sets the same variable).
                env = {**self.env, "PULUMI_DEBUG_COMMANDS": "true"}
                self._command().run(args, str(self.work_dir), env, on_output=self._printer(stack))
            except auto.CommandError as exc:
                raise self._explained(stack, exc) from exc
            return summary_changes(log)

    def up(self, stack: str) -> StackResult:
        """The update, then one export for both the loop's snapshot and the outputs shown to the user."""
        changes = self._operation(stack, ["up", "--yes", "--skip-preview"])
        with self._lock:
            self._fresh.discard(stack)
        exported = self._export_decrypted(stack)
        return StackResult(stack, "up", changes, plain_outputs(exported), snapshot_of(exported))

    def preview(self, stack: str) -> StackResult:
        return StackResult(stack, "preview", self._operation(stack, ["preview", "--diff"]))

    def destroy(self, stack: str) -> StackResult:
        try:
            s = self._stack(stack)
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
        root = locks.state_root(self.backend_url)
        if root is not None and not sidecars.may_exist(root, self.project, stack):
            self._exists[stack] = False  # a file backend without any file of the stack: never created
            return None
        try:
            state = json.loads(self._run(["stack", "export", "--stack", stack]).stdout)
        except auto.StackNotFoundError:
            state = None
        self._exists[stack] = state is not None
        return state

    def snapshot(self, stack: str) -> Snapshot:
        """What the convergence loop compares with its record. Secrets are decrypted (``--show-secrets``)
        because Pulumi re-encrypts a secret output on every update: its ciphertext would make every reader
        run again. The document stays in this process, and only its digests leave this method. A stack this
        runner just created is empty: no export needed."""
        with self._lock:
            if stack in self._fresh:
                return snapshot_of(None)
        return snapshot_of(self._export_decrypted(stack))

    def _export_decrypted(self, stack: str) -> dict[str, Any] | None:
        try:
            return json.loads(self._run(["stack", "export", "--show-secrets", "--stack", stack]).stdout)
        except auto.StackNotFoundError:
            return None

    def import_state(self, stack: str, state: dict[str, Any]) -> None:
        with tempfile.TemporaryDirectory(prefix="kft-state-") as tmp:  # 0700, removed right after
            path = Path(tmp) / "state.json"
            path.write_text(json.dumps(state))
            self._run(["stack", "import", "--file", str(path), "--stack", stack])

    def refresh_targets(self, stack: str, targets: list[str]) -> None:
        s = self._stack(stack)
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


# How ``pulumi stack export --show-secrets`` marks a decrypted secret value.
SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")


def plain_outputs(exported: Mapping[str, Any] | None) -> dict[str, object]:
    """The stack's outputs from an export, secret ones left out (they are never shown)."""
    resources = ((exported or {}).get("deployment") or {}).get("resources") or []
    root = next((r for r in resources if r.get("type") == "pulumi:pulumi:Stack"), {})
    return {
        name: value
        for name, value in (root.get("outputs") or {}).items()
        if not (isinstance(value, dict) and value.get(SECRET_SIG[0]) == SECRET_SIG[1])
    }


def summary_changes(event_log: Path) -> dict[str, int]:
    """The change counts of the engine's summary event (the last one in the log)."""
    found: dict[str, int] = {}
    if event_log.is_file():
        with event_log.open(encoding="utf-8") as lines:
            for line in lines:
                if '"summaryEvent"' in line:
                    found = _counts(json.loads(line)["summaryEvent"].get("resourceChanges"))
    return found


def _counts(changes: Mapping[Any, int] | None) -> dict[str, int]:
    """Change counts keyed by plain operation names (the SDK hands some as OpType, a str enum)."""
    return {str(getattr(op, "value", op)): n for op, n in (changes or {}).items()}
