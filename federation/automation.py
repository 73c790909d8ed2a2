"""The one module that drives Pulumi: Automation API stacks over the project directory (Pulumi.yaml and the
``Pulumi.<stack>.yaml`` files), one LocalWorkspace per stack so parties can run in parallel threads.

Secret config (a kubeconfig for local trials) is written with ``pulumi config set --secret`` reading the
value from stdin: the Automation API's ``set_config`` would put it on the command line, where any local user
can read it in the process list.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pulumi import automation as auto

from federation.summary import StackResult


@dataclass(frozen=True)
class ConfigSetting:
    key: str            # fully qualified, e.g. kubefate-tanzu:kubeconfig
    value: str
    secret: bool = False


@dataclass
class AutomationRunner:
    work_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    config: list[ConfigSetting] = field(default_factory=list)
    refresh: bool = False
    on_output: Callable[[str, str], None] | None = None   # (stack, line) for --verbose
    _configured: set[str] = field(default_factory=set, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def _options(self) -> auto.LocalWorkspaceOptions:
        return auto.LocalWorkspaceOptions(work_dir=str(self.work_dir), env_vars=dict(self.env))

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
            subprocess.run(
                ["pulumi", "config", "set", setting.key, mode, "--stack", stack, "--non-interactive"],
                input=setting.value, text=True, cwd=self.work_dir, env={**os.environ, **self.env},
                check=True, capture_output=True,
            )

    def _printer(self, stack: str) -> Callable[[str], None] | None:
        if self.on_output is None:
            return None
        return lambda line: self.on_output(stack, line)

    def ensure(self, stack: str) -> None:
        self._stack(stack, create=True)

    def up(self, stack: str) -> StackResult:
        s = self._stack(stack, create=True)
        result = s.up(refresh=self.refresh, on_output=self._printer(stack), color="never")
        changes = dict(result.summary.resource_changes or {})
        outputs = {k: v.value for k, v in result.outputs.items() if not v.secret}
        return StackResult(stack, "up", changes, outputs)

    def preview(self, stack: str) -> StackResult:
        s = self._stack(stack, create=True)
        result = s.preview(refresh=self.refresh, on_output=self._printer(stack), color="never", diff=True)
        return StackResult(stack, "preview", dict(result.change_summary or {}))

    def destroy(self, stack: str) -> StackResult:
        try:
            s = self._stack(stack, create=False)
        except auto.StackNotFoundError:
            return StackResult(stack, "destroy", {})
        result = s.destroy(on_output=self._printer(stack), color="never")
        return StackResult(stack, "destroy", dict(result.summary.resource_changes or {}))

    def outputs(self, stack: str) -> dict[str, object] | None:
        try:
            s = auto.select_stack(stack_name=stack, work_dir=str(self.work_dir), opts=self._options())
        except auto.StackNotFoundError:
            return None
        return {k: v.value for k, v in s.outputs().items() if not v.secret}
