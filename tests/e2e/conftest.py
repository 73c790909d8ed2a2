"""Fixtures for end-to-end tests with the real Pulumi engine against the local control plane.

* ``tool_env``      - the environment from ``make tools`` ($KFT_CACHE/env.sh): pulumi, plugins, kubectl, ...
* ``local_cluster`` - the kubeconfig path of the running local control plane (``make cluster-up``); if it is
                      not running, it is started here and stopped at the end of the session.
* ``kube_api``      - a ``KubeApi`` client for that cluster.
* ``pulumi_stack``  - factory: ``pulumi_stack(program_dir, config={...})`` copies a Pulumi program into a
                      temporary directory, creates a stack on a ``file://`` backend there, and returns a
                      ``PulumiStack`` whose ``up/preview/destroy/outputs`` drive the CLI. Stacks still holding
                      resources at teardown are destroyed, so a failing test leaves nothing in the cluster.

Nothing here skips: a missing toolchain, cluster or passphrase is a test failure with the fix in the message.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.kubeapi import KubeApi

REPO = Path(__file__).resolve().parents[2]
KFT_CACHE = Path(os.environ.get("KFT_CACHE") or Path.home() / ".cache" / "kubefate-tanzu")
CLUSTER_DIR = Path(os.environ.get("KFT_CLUSTER_DIR") or REPO / ".local" / "cluster")
CLUSTER_SH = REPO / "tools" / "cluster.sh"
PULUMI_TIMEOUT = 900  # seconds for one CLI command


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
def tool_env() -> dict[str, str]:
    """os.environ plus $KFT_CACHE/env.sh, with this interpreter's bin directory first on PATH.

    The Python language host runs ``python3`` from PATH (tools/toolchain.sh builds one that does not read
    the ``virtualenv`` runtime option), so the interpreter running the tests, which has the pinned
    ``pulumi`` packages, is the one the programs get.
    """
    env_file = KFT_CACHE / "env.sh"
    if not env_file.is_file():
        pytest.fail(f"toolchain missing: {env_file} does not exist; run `make tools` (tools/toolchain.sh)")
    proc = subprocess.run(
        ["bash", "-c", f'. "{env_file}" && env -0'], capture_output=True, env=dict(os.environ), check=False
    )
    if proc.returncode != 0:
        pytest.fail(f"could not source {env_file}: {proc.stderr.decode(errors='replace')}")
    env = dict(item.split("=", 1) for item in proc.stdout.decode().split("\0") if "=" in item)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    pulumi = shutil.which("pulumi", path=env["PATH"])
    if not pulumi:
        pytest.fail(f"toolchain missing: no pulumi on the PATH from {env_file}; run `make tools`")
    version = subprocess.run([pulumi, "version"], capture_output=True, text=True, env=env, check=False)
    if version.returncode != 0:
        pytest.fail(f"{pulumi} does not run: {version.stderr}")
    plugin = Path(env["PULUMI_HOME"]) / "plugins"
    for name in ("kubernetes", "random", "tls"):  # what the program registers; vsphere only when managed
        if not any(plugin.glob(f"resource-{name}-v*/pulumi-resource-{name}")):
            pytest.fail(f"toolchain incomplete: no {name} provider plugin registered in {plugin}; run `make tools`")
    return env


@pytest.fixture(scope="session")
def local_cluster(tool_env: dict[str, str]) -> Iterator[Path]:
    """Kubeconfig of the local control plane; started here (and stopped at session end) if not running."""
    env = dict(tool_env, KFT_CLUSTER_DIR=str(CLUSTER_DIR), KFT_CACHE=str(KFT_CACHE))
    status = subprocess.run([str(CLUSTER_SH), "status"], capture_output=True, text=True, env=env, check=False)
    started = False
    if status.returncode != 0:
        up = subprocess.run([str(CLUSTER_SH), "up"], capture_output=True, text=True, env=env, check=False, timeout=600)
        if up.returncode != 0:
            pytest.fail(f"local control plane did not start (tools/cluster.sh up):\n{_tail(up.stderr)}")
        started = True
    kubeconfig = CLUSTER_DIR / "kubeconfig"
    if not kubeconfig.is_file():
        pytest.fail(f"local control plane has no kubeconfig at {kubeconfig}")
    try:
        yield kubeconfig
    finally:
        if started:
            subprocess.run([str(CLUSTER_SH), "down"], capture_output=True, text=True, env=env, check=False)


@pytest.fixture(scope="session")
def kube_api(local_cluster: Path) -> KubeApi:
    return KubeApi.from_kubeconfig(local_cluster)


@pytest.fixture(scope="session")
def config_passphrase() -> str:
    """The file backend's passphrase comes from the environment (``make test`` sets a local default)."""
    value = os.environ.get("PULUMI_CONFIG_PASSPHRASE")
    if not value and not os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        pytest.fail("PULUMI_CONFIG_PASSPHRASE (or _FILE) is not set; `make test` sets one for local stacks")
    return value or ""


class PulumiError(AssertionError):
    pass


@dataclass
class PulumiStack:
    """One stack of one Pulumi program copy, on a file backend in a temporary directory."""

    project_dir: Path
    name: str
    env: dict[str, str]
    history: list[str] = field(default_factory=list)

    def run(self, *args: str, check: bool = True, timeout: int = PULUMI_TIMEOUT) -> subprocess.CompletedProcess[str]:
        cmd = ["pulumi", *args, "--stack", self.name, "--non-interactive", "--cwd", str(self.project_dir)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=timeout, check=False)
        self.history.append(f"$ {' '.join(cmd)} -> {proc.returncode}")
        if check and proc.returncode != 0:
            raise PulumiError(
                f"`{' '.join(cmd)}` exited {proc.returncode}\n--- stdout\n{_tail(proc.stdout)}"
                f"\n--- stderr\n{_tail(proc.stderr)}"
            )
        return proc

    def config_set(self, key: str, value: str, secret: bool = False) -> None:
        self.run("config", "set", key, value, *(["--secret"] if secret else []))

    def up(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run("up", "--yes", "--skip-preview", *extra)

    def preview(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("preview", *extra, check=check)

    def destroy(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run("destroy", "--yes", "--skip-preview", *extra)

    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json", *(["--show-secrets"] if show_secrets else [])]
        return json.loads(self.run(*args).stdout)

    def resource_count(self) -> int:
        proc = self.run("stack", "export", check=False)
        if proc.returncode != 0:
            return 0
        return len(json.loads(proc.stdout).get("deployment", {}).get("resources") or [])


@pytest.fixture
def pulumi_stack(
    tool_env: dict[str, str], config_passphrase: str, tmp_path: Path
) -> Iterator[Callable[..., PulumiStack]]:
    made: list[PulumiStack] = []

    def make(program_dir: Path, config: dict[str, str] | None = None, stack: str | None = None) -> PulumiStack:
        work = tmp_path / f"pulumi-{len(made)}"
        project = work / "program"
        shutil.copytree(program_dir, project, ignore=shutil.ignore_patterns("__pycache__", "Pulumi.*.yaml"))
        (work / "state").mkdir(parents=True)
        env = dict(tool_env, PULUMI_BACKEND_URL=f"file://{work / 'state'}")
        if config_passphrase:
            env["PULUMI_CONFIG_PASSPHRASE"] = config_passphrase
        s = PulumiStack(project, stack or f"e2e{uuid.uuid4().hex[:6]}", env)
        init = subprocess.run(
            ["pulumi", "stack", "init", s.name, "--non-interactive", "--cwd", str(project)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=120,
        )
        if init.returncode != 0:
            raise PulumiError(f"`pulumi stack init {s.name}` failed:\n{_tail(init.stderr)}")
        for key, value in (config or {}).items():
            s.config_set(key, value)
        made.append(s)
        return s

    yield make
    for s in made:  # never leave objects behind in the shared cluster
        if s.resource_count() > 0:
            s.run("destroy", "--yes", "--skip-preview", check=False)
