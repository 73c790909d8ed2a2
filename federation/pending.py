"""Pending operations an interrupted update left in a stack's state, and how they are resolved.

Before Pulumi asks a provider to create, update or delete a resource it saves the operation as pending; a
killed CLI never clears it. Pending updates and deletes are harmless: the resource is in the state and any
refresh of it clears them. A pending *create* is not: Pulumi keeps it through every later ``up`` (it never
knows whether the object was made), and the next ``up`` creates the resource again, which for an autonamed
Kubernetes object leaves the first one orphaned in the cluster and for a fixed name may conflict with it.

Pulumi's non-interactive answers are ``refresh --clear-pending-creates`` (forget them: orphans) and
``--import-pending-creates URN ID``. The CLI this project builds (3.274.0) turns an imported create into a
pending *import* and the refresh that follows drops it, so the object is still not in the state. What does
adopt it is what that flag means, done through Pulumi's documented state repair (``stack export`` / ``stack
import``): the pending create becomes a resource with the provider ID it was being created under, and a
refresh of exactly those URNs then reads it (an object that was never made is dropped by that refresh).

A create that replaces a resource (create-before-delete, e.g. an autonamed ConfigMap whose content changed)
has the URN of the resource it replaces; the old one is then marked for deletion, as Pulumi marks it once
the replacement exists, and the next ``up`` deletes it.

For Kubernetes the ID is known before the create: pulumi-kubernetes computes the name (autonames included)
in Check, so the pending inputs hold ``metadata.name`` and ``metadata.namespace``; the ID is
``<namespace>/<name>``, or ``<name>`` for cluster-scoped objects. A pending create of anything else (random,
tls: nothing outside the state) is cleared, and the next ``up`` makes it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

CREATE_KINDS = ("creating", "importing")


@dataclass(frozen=True)
class PendingOp:
    urn: str
    kind: str  # creating | updating | deleting | reading | importing
    type: str

    def describe(self) -> str:
        return f"{self.type} {self.urn.rsplit('::', 1)[-1]} (interrupted while {self.kind})"


@dataclass
class Resolution:
    deployment: dict[str, Any]  # the state to import (pending operations resolved)
    imported: list[tuple[PendingOp, str]] = field(default_factory=list)  # creates adopted under an ID
    cleared: list[PendingOp] = field(default_factory=list)  # creates dropped
    refreshed: list[PendingOp] = field(default_factory=list)  # updates/deletes, re-read
    refresh_targets: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.imported or self.cleared or self.refreshed)


def pending_operations(deployment: dict[str, Any] | None) -> list[PendingOp]:
    ops = (deployment or {}).get("pending_operations") or []
    return [PendingOp(op["resource"]["urn"], op.get("type", "?"), op["resource"].get("type", "?")) for op in ops]


def kubernetes_id(resource: dict[str, Any]) -> str | None:
    """The pulumi-kubernetes ID an object is created under, from its checked inputs; None when not derivable."""
    rtype = resource.get("type", "")
    if not resource.get("custom") or not rtype.startswith("kubernetes:") or rtype.startswith("kubernetes:yaml"):
        return None
    meta = (resource.get("inputs") or {}).get("metadata") or {}
    name, namespace = meta.get("name"), meta.get("namespace")
    if not isinstance(name, str) or not name:
        return None
    return f"{namespace}/{name}" if isinstance(namespace, str) and namespace else name


def _references(resource: dict[str, Any]) -> list[str]:
    """URNs a resource points at; each must be in the state before it (Pulumi checks this on import)."""
    refs = [resource.get("parent"), resource.get("deletedWith"), *(resource.get("dependencies") or [])]
    for deps in (resource.get("propertyDependencies") or {}).values():
        refs += deps or []
    provider = resource.get("provider")
    if provider:
        refs.append(provider.rsplit("::", 1)[0])
    return [r for r in refs if r]


def resolve(deployment: dict[str, Any]) -> Resolution:
    """The state with every pending operation resolved, and the URNs to refresh right after importing it."""
    new = copy.deepcopy(deployment)
    resources: list[dict[str, Any]] = new.setdefault("resources", []) or []
    new["resources"] = resources
    known = {r["urn"] for r in resources if not r.get("delete")}
    out = Resolution(new)
    for op in deployment.get("pending_operations") or []:
        resource = copy.deepcopy(op["resource"])
        pending = PendingOp(resource["urn"], op.get("type", "?"), resource.get("type", "?"))
        if pending.kind not in CREATE_KINDS:
            out.refreshed.append(pending)  # the resource is in the state; the refresh re-reads it
            if pending.urn in known:
                out.refresh_targets.append(pending.urn)
            continue
        rid = resource.get("id") or kubernetes_id(resource)
        if not rid or not all(ref in known for ref in _references(resource)):
            out.cleared.append(pending)
            continue
        olds = [r for r in resources if r["urn"] == pending.urn and not r.get("delete")]
        if any(r.get("id") == rid for r in olds):  # the state already has that very object
            out.refreshed.append(pending)
            out.refresh_targets.append(pending.urn)
            continue
        for old in olds:  # create-before-delete replacement: the old one goes on the next up
            old["delete"] = True
        resource["id"] = rid
        resource.setdefault("outputs", {})
        resources.append(resource)  # everything it references is already before it
        known.add(pending.urn)
        out.imported.append((pending, rid))
        out.refresh_targets.append(pending.urn)
    new["pending_operations"] = []
    return out
