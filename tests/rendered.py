"""The Kubernetes objects a shipped stack renders under mocks, as the manifests an API server would receive.

Why here: the hardening, NetworkPolicy and scan checks all judge what ``pulumi up`` of a shipped stack file
would send, not what one component renders in isolation, so a new module or stack cannot escape them.
"""

from __future__ import annotations

from typing import Any

from tests.harness import Harness, new_event_loop
from tests.stack_runner import PARTY, file_config, reset_config, run_program, shipped_stacks
from tests.test_tanzu_support import is_secret_input

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
# No shipped stack runs the eggroll backend, whose modules (clustermanager, nodemanager, osx) only this renders.
EGGROLL_PARTY = {**PARTY, "fate": {"backend": "eggroll", "persistence": True, "storageClass": "standard"}}


def manifest_of(typ: str, inputs: dict[str, Any]) -> dict[str, Any] | None:
    """``kubernetes:apps/v1:Deployment`` + inputs -> {apiVersion, kind, ...}; None for non-Kubernetes types."""
    if not typ.startswith("kubernetes:") or typ.startswith("kubernetes:yaml") or "providers" in typ:
        return None
    group_version, kind = typ.split(":")[1:3]
    group, version = group_version.split("/")
    api_version = version if group == "core" else group_version
    body = {k: _plain(v) for k, v in inputs.items() if k not in ("apiVersion", "kind")}
    return {"apiVersion": api_version, "kind": kind, **body}


def _plain(value: Any) -> Any:
    """Secret values arrive wrapped in the SDK's secret envelope; a manifest holds the value itself."""
    if is_secret_input(value):
        return _plain(value.get("value"))
    if isinstance(value, float) and value.is_integer():
        # The SDK sends every number as a float; the provider sends the API server the schema's integer.
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def render_stack(stack: str, values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every Kubernetes object of ``stack`` (its Pulumi.<stack>.yaml unless ``values`` are given)."""
    new_event_loop()
    harness = Harness(stack=stack)
    try:
        run_program(harness, file_config(stack) if values is None else values)
    finally:
        reset_config()
    return [m for r in harness.mocks.registered if (m := manifest_of(r.typ, r.inputs)) is not None]


def every_rendering() -> dict[str, list[dict[str, Any]]]:
    """Every shipped stack's objects, plus an eggroll party's (``party-30000-eggroll``)."""
    out = {stack: render_stack(stack) for stack in shipped_stacks()}
    out["party-30000-eggroll"] = render_stack("party-30000", EGGROLL_PARTY)
    return out


def pod_specs(manifests: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(``Kind/namespace/name``, pod spec) of every workload."""
    out = []
    for m in manifests:
        if m["kind"] in WORKLOAD_KINDS:
            meta = m.get("metadata") or {}
            template = m["spec"]["template"]
            out.append((f"{m['kind']}/{meta.get('namespace')}/{meta.get('name')}", template["spec"]))
    return out


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*(pod.get("initContainers") or []), *pod["containers"]]
