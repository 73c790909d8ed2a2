"""Labels KubeFATE's own tooling selects on, plus the Kubernetes recommended ones.

KubeFATE finds a cluster's objects by ``name=<cluster name>`` and its selectors use the misspelled
``fateMoudle`` key; keeping both lets ``kubefate cluster describe`` and existing dashboards keep working.
"""

from __future__ import annotations

MANAGED_BY = "pulumi-kubefate-tanzu"


def kubefate_labels(
    cluster_name: str, party_id: int | str, module: str, cluster_kind: str = "fate", version: str | None = None
) -> dict[str, str]:
    labels = {
        "name": cluster_name,
        "partyId": str(party_id),
        "owner": "kubefate",
        "cluster": cluster_kind,
        "fateMoudle": module,
        "app.kubernetes.io/name": module,
        "app.kubernetes.io/instance": cluster_name,
        "app.kubernetes.io/part-of": cluster_kind,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    if version:
        labels["app.kubernetes.io/version"] = version
    return labels


def selector_labels(cluster_name: str, party_id: int | str, module: str) -> dict[str, str]:
    """The immutable subset used in selectors: changing it would orphan pods, so it never carries versions."""
    return {"name": cluster_name, "partyId": str(party_id), "fateMoudle": module}
