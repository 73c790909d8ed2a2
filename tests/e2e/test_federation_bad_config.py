"""Bad configuration fails the real run with its validation message and registers nothing.

A stack of its own (party 59999, from the local Day-2 file) so nothing of the federation is involved; the
cluster must afterwards hold no namespace of it and the stack no resource but (at most) its root Stack.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.e2e import federation_fixtures as ff
from tests.e2e.federation_fixtures import Federation

pytestmark = pytest.mark.e2e
local_volumes, project_factory = ff.local_volumes, ff.project_factory

PARTY = 59999
STACK = f"local-party-{PARTY}"


def _bad(fate_edit) -> dict[str, Any]:
    doc = copy.deepcopy(ff.yaml.safe_load((ff.REPO / "Pulumi.local-party-50000.yaml").read_text()))
    cfg = doc["config"]
    cfg["kubefate-tanzu:partyId"] = PARTY
    del cfg["kubefate-tanzu:exchange"]
    fate_edit(cfg["kubefate-tanzu:fate"])
    return doc


def _wrong_backend_mix(fate: dict[str, Any]) -> None:
    fate["backend"] = "spark-pulsar"
    fate["computing"] = "Eggroll"


def _no_storage_class(fate: dict[str, Any]) -> None:
    fate["persistence"] = True
    fate.pop("storageClass", None)


def _registered(fed: Federation) -> list[str]:
    proc = fed.stack(STACK).run("stack", "export", check=False)
    if proc.returncode != 0:
        return []
    resources = ff.json.loads(proc.stdout).get("deployment", {}).get("resources") or []
    return [r["type"] for r in resources if r["type"] != "pulumi:pulumi:Stack"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_wrong_backend_mix, "fate.computing = 'Eggroll': backend 'spark-pulsar' means computing 'Spark'"),
        (_no_storage_class, "fate.storageClass = None: persistence is on but no storage class is set"),
    ],
    ids=["backend-module-mix", "missing-storage-class"],
)
def test_bad_configuration_fails_before_anything_is_registered(project_factory, edit, message) -> None:
    fed = project_factory("badconfig")
    fed.write_stack_config(STACK, _bad(edit))
    stack = fed.stack(STACK)
    stack.run("stack", "init")
    proc = stack.run("up", "--yes", "--skip-preview", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert message in output, output[-3000:]
    assert "Traceback" not in output
    assert _registered(fed) == []
    assert fed.api.get_or_none(f"/api/v1/namespaces/fate-{PARTY}") is None
