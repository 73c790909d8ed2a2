"""What one FATE module is, in one place: the shape of a definition in models/modules/<name>.py.

Every table the program used to keep per module (resource and volume defaults, sizing minimums, node-port
keys, images, network flows, hardening profiles, ingress UIs, engine needs, the builder to call) is read from
these definitions by models/modules/__init__.py, so a module is added by adding its file (docs/adding-a-module.md).
Pulumi-free: validation, sizing and the node-port checks read the same definitions as the FateCluster
component, which calls ``builder`` (an import path, so this package never imports Pulumi).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from models.engines import Engines
from models.flows import Allow

EngineKind = Literal["computing", "federation", "storage"]
TagRule = Literal["fate", "mysql", "hadoop", "pulsar"]
SuffixRule = Literal["", "fateflow", "algorithm"]


@dataclass(frozen=True)
class Image:
    """``<registry><repository><suffix>:<tag>`` (components/images.py): ``suffix`` ``fateflow`` is ``-spark``
    on Spark backends plus the algorithm/device part, ``algorithm`` only the latter; ``tag`` ``fate`` is
    ``<fateVersion>-release``, the others the third-party versions FATE 2.0.0 was built against."""

    repository: str
    suffix: SuffixRule = ""
    tag: TagRule = "fate"


@dataclass(frozen=True)
class Minimum:
    """The reference architecture's smallest request for a pod of this kind (models/fate_sizing.py)."""

    cpu: float
    memory_gib: int
    what: str


FATE_POD = Minimum(4.0, 8, "a FATE pod")
"""Pods that do FATE's own work (fateflow, eggroll node managers, the osx gateway, the pulsar broker)."""


@dataclass(frozen=True)
class Ui:
    """A web UI served through an Ingress ``ingress.<key>``; ``on_request`` ones (no authentication) only when
    that key is configured."""

    key: str
    host_label: str
    service: str
    port: int
    on_request: bool = False


@dataclass(frozen=True)
class Part:
    """One workload of a module, configured by the block at ``path`` (``spark.worker``) and labelled ``label``
    (its ``fateMoudle`` label, what NetworkPolicies select)."""

    path: str
    label: str
    image: Image
    requests: dict[str, str]
    """Default resource requests (models/fate.py ``effective_resources`` puts the user's values over them)."""
    ports: dict[str, int]
    """Container ports of its main container, by name (Services and flows refer to these numbers)."""
    flows: tuple[Allow, ...]
    """Who may connect to it (components/fate_cluster/flows.py adds the ingress controller for its UI); no
    default, so a new module says it, even when nothing may (``()``)."""
    volume: str | None = None
    """Default size of its data volume with persistence on; None: no data volume."""
    minimum: Minimum | None = None
    replicas: int = 1
    exposed: bool = False
    """Its block has ``type``/``loadBalancerIP``/``loadBalancerSourceRanges`` (a Service users may expose)."""
    node_ports: tuple[str, ...] = ()
    """Node-port keys of its block, opened only when ``type`` is NodePort or LoadBalancer."""
    profile: str = "fate-root"
    """Capability exceptions of its main container's image (a key of components/hardening.py EXCEPTIONS)."""
    ui: Ui | None = None


@dataclass(frozen=True)
class Requirement:
    """The engine a module needs: ``kind`` must be one of ``values``."""

    kind: EngineKind
    values: tuple[str, ...]

    def met_by(self, engines: Engines) -> bool:
        return engines.of(self.kind) in self.values


@dataclass(frozen=True)
class FateModule:
    """One entry of ``fate.modules``. ``order`` places it in every table and in the build (smaller first)."""

    name: str
    order: int
    parts: tuple[Part, ...]
    builder: str
    """``package.module:function`` building its Kubernetes objects from a BuildContext (components/)."""
    common: bool = False
    """Part of every backend (mysql, python, fateboard)."""
    needs: Requirement | None = None
    """None and not common: optional everywhere (the notebook)."""
    secrets: tuple[str, ...] = field(default=())
    """Generated passwords it needs in the party's credentials Secret."""
