"""The ``cluster`` block of a stack: which Kubernetes cluster a party or the exchange runs on.

Two modes because sites differ: ``tanzu`` provisions a Tanzu Kubernetes cluster in a vSphere Namespace (the
reference architecture), ``kubeconfig`` adopts a cluster that already exists (local trials, tests, sites whose
platform team hands out clusters). Secrets (kubeconfigs, the vSphere password) are never part of this model:
they arrive as secret Outputs, and ``check_cluster_secrets`` tells the loader which ones are missing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CONFIG = ConfigDict(extra="forbid", populate_by_name=True)


class ClusterConfig(BaseModel):
    """Where the stack's workloads run; see docs/config-cluster.md for every key."""

    model_config = CONFIG

    mode: Literal["tanzu", "kubeconfig"] = "tanzu"
    kubeconfig_path: str | None = Field(None, alias="kubeconfigPath")
    context: str | None = None
