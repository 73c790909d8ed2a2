"""Running the whole program (``stacks.run``, what __main__.py executes) under the mock harness.

Why a helper: the shipped-stack and party-stack tests feed config exactly as the engine would (objects as
JSON strings, scalars as strings, secrets flagged), answer the Supervisor's kubeconfig read, and capture
``pulumi.export`` calls, which mocks otherwise drop.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pulumi
import yaml

from components.tanzu.manifests import KUBECONFIG_SECRET_KEY, kubeconfig_secret_name
from models.config import NAMESPACE, config_map_of

ROOT = Path(__file__).resolve().parents[1]
SECRET = "kubernetes:core/v1:Secret"
FAKE_SECRETS = {
    "kubeconfig": "apiVersion: v1\nkind: Config\n# adopted workload cluster (fake)\n",
    "supervisorKubeconfig": "apiVersion: v1\nkind: Config\n# supervisor (fake)\n",
    "vspherePassword": "fake-vsphere-password",
}
# A valid party stack config (adopt mode, seeds' backend) that tests vary with ``{**PARTY, ...}``; never mutate it.
PARTY = {
    "role": "party",
    "partyId": 30000,
    "cluster": {"mode": "kubeconfig"},
    "kubefate": {"host": "kubefate.party-30000.fate.internal"},
    "fate": {
        "backend": "spark-pulsar",
        "persistence": True,
        "storageClass": "standard",
        "nginx": {"type": "LoadBalancer"},
        "pulsar": {"type": "LoadBalancer"},
    },
    "exchange": {"stack": "exchange"},
}


def stack_file(stack: str) -> Path:
    return ROOT / f"Pulumi.{stack}.yaml"


def shipped_stacks() -> list[str]:
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml"))


def file_config(stack: str) -> dict[str, Any]:
    """The stack file's ``kubefate-tanzu:`` keys, unqualified (``role``, ``cluster``, ...)."""
    data = yaml.safe_load(stack_file(stack).read_text()) or {}
    return {k.split(":", 1)[1]: v for k, v in (data.get("config") or {}).items() if k.startswith(f"{NAMESPACE}:")}


def set_config(
    values: dict[str, Any], secrets: dict[str, str] | None = None, plain_secrets: dict[str, str] | None = None
) -> None:
    """Hand ``values`` (unqualified keys) to the runtime as the engine would; ``secrets`` flagged secret,
    ``plain_secrets`` deliberately not (a secret someone wrote into the stack file in clear)."""
    full = {f"{NAMESPACE}:{k}": v for k, v in config_map_of(values).items()}
    flagged = []
    for key, value in (secrets or {}).items():
        full[f"{NAMESPACE}:{key}"] = value
        flagged.append(f"{NAMESPACE}:{key}")
    for key, value in (plain_secrets or {}).items():
        full[f"{NAMESPACE}:{key}"] = value
    pulumi.runtime.set_all_config(full, flagged)


def reset_config() -> None:
    pulumi.runtime.set_all_config({}, [])


def secrets_for(values: dict[str, Any]) -> dict[str, str]:
    """The secrets a stack's cluster mode needs (what an operator sets with ``--secret``)."""
    cluster = values.get("cluster") or {}
    if cluster.get("mode", "tanzu") == "kubeconfig":
        return {"kubeconfig": FAKE_SECRETS["kubeconfig"]}
    out = {"supervisorKubeconfig": FAKE_SECRETS["supervisorKubeconfig"]}
    if (cluster.get("vsphere") or {}).get("manage"):
        out["vspherePassword"] = FAKE_SECRETS["vspherePassword"]
    return out


def answer_supervisor(harness, values: dict[str, Any]) -> None:
    """The Supervisor's ``<cluster>-kubeconfig`` Secret for a tanzu-mode cluster block."""
    cluster = values.get("cluster") or {}
    if cluster.get("mode", "tanzu") != "tanzu":
        return
    encoded = base64.b64encode(FAKE_SECRETS["kubeconfig"].encode()).decode()
    secret_id = f"{cluster['vsphereNamespace']}/{kubeconfig_secret_name(cluster['name'])}"
    harness.mocks.reads[f"{SECRET}::{secret_id}"] = {"data": {KUBECONFIG_SECRET_KEY: encoded}}


def capture_exports(monkeypatch) -> dict[str, Any]:
    exports: dict[str, Any] = {}
    monkeypatch.setattr(pulumi, "export", lambda name, value: exports.__setitem__(name, value))
    return exports


def run_program(harness, values: dict[str, Any], secrets: dict[str, str] | None = None) -> None:
    """Set the config and run the program body, like ``pulumi up`` of that stack would."""
    from stacks import run

    answer_supervisor(harness, values)
    harness.run(lambda: (set_config(values, secrets_for(values) if secrets is None else secrets), run()))


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
