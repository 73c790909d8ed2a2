"""Fixtures for the federation's end-to-end tests: the whole project, the real engine, the local control plane.

The tests run against a copy of the project in a temporary directory (``federation_project``): ``pulumi stack
init`` writes an ``encryptionsalt`` into ``Pulumi.<stack>.yaml`` and the tests edit stack files (Day 2, bad
configuration), none of which may touch the repository. The copy has its own file backend
(``<copy>/.pulumi-state``, the federation command's default), the local cluster's kubeconfig at the path the
local stack files name (``.local/cluster/kubeconfig``), and no ``virtualenv`` runtime option, so the
language host runs the interpreter running the tests (see tests/e2e/conftest.py, ``tool_env``).

Nothing here skips: a missing toolchain or cluster fails in the toolchain fixtures with the fix named.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import PulumiError, PulumiStack
from tests.e2e.kubeapi import KubeApi
from tests.e2e.local_provisioner import LocalProvisioner, delete_released

REPO = Path(__file__).resolve().parents[2]
PROJECT_PARTS = ("Pulumi.yaml", "__main__.py", "requirements.txt", "components", "models", "stacks", "federation")
EXCHANGE = "local-exchange"
PARTIES = ("local-party-30000", "local-party-40000")
FEDERATION_NAMESPACES = ("fate-exchange", "fate-30000", "fate-40000", "fate-50000", "kube-fate")
FEDERATION_TIMEOUT = 1800  # seconds for one `python -m federation` command
# Party stacks the federation command runs at once; 2 cores serve the engine, three language hosts and the
# provider processes best with the default of both parties in parallel.
FEDERATION_PARALLEL = "2"


def copy_project(dest: Path, kubeconfig: Path) -> Path:
    """The project's program and local stack files under ``dest``, ready for the local control plane."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in PROJECT_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=ignore)
        else:
            shutil.copy2(src, dest / part)
    for stack_file in REPO.glob("Pulumi.local-*.yaml"):
        # Without the demo passphrase's salt: the tests run with whatever passphrase the environment has.
        text = "".join(
            ln for ln in stack_file.read_text().splitlines(keepends=True) if not ln.startswith("encryptionsalt:")
        )
        (dest / stack_file.name).write_text(text)
    project = yaml.safe_load((dest / "Pulumi.yaml").read_text())
    runtime = project.get("runtime")
    if isinstance(runtime, dict):
        (runtime.get("options") or {}).pop("virtualenv", None)
    (dest / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    (dest / ".local" / "cluster").mkdir(parents=True)
    shutil.copy2(kubeconfig, dest / ".local" / "cluster" / "kubeconfig")
    return dest


@dataclass
class Federation:
    """The copied project and how to drive it: the federation command, single stacks, stack files."""

    root: Path
    env: dict[str, str]
    api: KubeApi

    def command(
        self, *args: str, check: bool = True, timeout: int = FEDERATION_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        cmd = [
            sys.executable,
            "-m",
            "federation",
            *args,
            "--variant",
            "local",
            "--config-dir",
            str(self.root),
            "--parallel",
            FEDERATION_PARALLEL,
        ]
        proc = subprocess.run(cmd, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise PulumiError(
                f"`{' '.join(args)}` exited {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}"
                f"\n--- stderr\n{proc.stderr[-4000:]}"
            )
        return proc

    def stack(self, name: str, **extra_env: str) -> PulumiStack:
        return PulumiStack(self.root, name, {**self.env, **extra_env})

    def outputs(self, name: str) -> dict[str, Any]:
        return self.stack(name).outputs()

    def stack_config(self, name: str) -> dict[str, Any]:
        return yaml.safe_load((self.root / f"Pulumi.{name}.yaml").read_text())

    def write_stack_config(self, name: str, doc: dict[str, Any]) -> None:
        (self.root / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))

    def preview_changes(self, name: str, *extra: str, **extra_env: str) -> dict[str, Any]:
        """``pulumi preview --json``: the engine's change summary and steps for one stack."""
        proc = self.stack(name, **extra_env).run("preview", "--json", *extra, check=False)
        try:
            return json.loads(proc.stdout)
        except json.JSONDecodeError:
            raise PulumiError(
                f"preview of {name} gave no JSON (exit {proc.returncode}):\n{proc.stdout[-3000:]}"
                f"\n{proc.stderr[-3000:]}"
            ) from None


def federation_env(tool_env: dict[str, str], root: Path) -> dict[str, str]:
    """The stacks are authoritative: server-side apply takes back fields another field manager (kubectl edit,
    kubectl scale) took over, rather than stopping at the conflict (docs/e2e.md, "Drift")."""
    env = dict(tool_env, PULUMI_BACKEND_URL=f"file://{root / '.pulumi-state'}", PULUMI_K8S_ENABLE_PATCH_FORCE="true")
    env.setdefault("PULUMI_CONFIG_PASSPHRASE", os.environ.get("PULUMI_CONFIG_PASSPHRASE", ""))
    return env


@pytest.fixture(scope="session")
def local_volumes(kube_api: KubeApi) -> Iterator[LocalProvisioner]:
    """Binds the kft-local claims of every stack for the whole session (tools/cluster.sh has no provisioner)."""
    provisioner = LocalProvisioner(kube_api).start()
    yield provisioner
    provisioner.stop()
    delete_released(kube_api)


@pytest.fixture(scope="session")
def project_factory(
    tool_env: dict[str, str],
    config_passphrase: str,
    local_cluster: Path,
    kube_api: KubeApi,
    local_volumes: LocalProvisioner,
    tmp_path_factory: pytest.TempPathFactory,
):
    """``make(label)`` -> a fresh Federation over a new copy of the project (own state, own stack files)."""

    def make(label: str) -> Federation:
        root = copy_project(tmp_path_factory.mktemp(label) / "project", local_cluster)
        (root / ".pulumi-state").mkdir()
        return Federation(root, federation_env(tool_env, root), kube_api)

    return make


def destroy_everything(fed: Federation) -> None:
    """Teardown: whatever a failed test left, so the next module starts from an empty cluster. The federation
    command first (it clears what a killed run left, and destroys the parties in parallel), then any stack it
    did not reach (a party the exchange file does not list, or a run that failed)."""
    fed.command("destroy", "--yes", check=False)
    files = fed.root.glob("Pulumi.local-party-*.yaml")
    parties = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in files)
    for name in [*parties, EXCHANGE]:
        stack = fed.stack(name)
        if stack.resource_count() > 0:
            stack.run("destroy", "--yes", "--skip-preview", check=False, timeout=FEDERATION_TIMEOUT)
    # What destroy keeps on purpose (keepVolumesOnDestroy, keepDatabaseOnDestroy): require_empty saw these
    # namespaces absent when the module started, so they are this module's own.
    for ns in FEDERATION_NAMESPACES:
        fed.api.delete(f"/api/v1/namespaces/{ns}")


@pytest.fixture(scope="module")
def deployed_federation(project_factory) -> Iterator[tuple[Federation, subprocess.CompletedProcess[str], float]]:
    """The exchange and parties 30000/40000 converged once for the whole module (the expensive part)."""
    fed = project_factory("federation")
    require_empty(fed.api, FEDERATION_NAMESPACES)
    started = time.monotonic()
    up = fed.command("up")
    yield fed, up, time.monotonic() - started
    destroy_everything(fed)


def require_empty(api: KubeApi, namespaces: tuple[str, ...]) -> None:
    """Stacks create their namespaces; one left by `make demo` or a killed run would fail the first `up`."""

    def present() -> list[str]:
        return [ns for ns in namespaces if api.get_or_none(f"/api/v1/namespaces/{ns}") is not None]

    deadline = time.monotonic() + 120
    while present() and time.monotonic() < deadline:
        if all(
            (api.get_or_none(f"/api/v1/namespaces/{ns}") or {}).get("metadata", {}).get("deletionTimestamp")
            for ns in present()
        ):
            time.sleep(2)  # terminating: the namespace controller is finishing
            continue
        break
    left = present()
    if left:
        pytest.fail(
            f"namespaces {left} already exist on the local control plane (a `make demo` federation?). "
            "Fix: `python -m federation destroy --variant local --yes` or `make cluster-down`"
        )


# --- reading the cluster ---------------------------------------------------------------------------------------


def service(api: KubeApi, namespace: str, name: str) -> dict[str, Any]:
    return api.get(f"/api/v1/namespaces/{namespace}/services/{name}")


def lb_ip(svc: dict[str, Any]) -> str:
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    assert ingress, f"service {svc['metadata']['name']} has no LoadBalancer address: {svc.get('status')}"
    return ingress[0].get("ip") or ingress[0]["hostname"]


def config_map_with(api: KubeApi, namespace: str, key: str) -> dict[str, Any]:
    """The one ConfigMap of ``namespace`` holding ``key`` (auto-named ones included)."""
    found = [cm for cm in api.items(f"/api/v1/namespaces/{namespace}/configmaps") if key in (cm.get("data") or {})]
    names = [c["metadata"]["name"] for c in found]
    assert len(found) == 1, f"expected one ConfigMap with {key} in {namespace}, found {names}"
    return found[0]


def wait_for(predicate, timeout: float = 120, interval: float = 1.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
