"""Who talks to whom in one party's FATE cluster: the one description its NetworkPolicies are generated from.

Each module's definition (models/modules/) lists who may connect to each of its workloads, keyed here by the
workload's ``fateMoudle`` label; sources are modules of the same namespace or the tokens of models/flows.py.
A source module the backend does not deploy simply drops out, so one table serves every backend. The
FateCluster refuses to render a workload that has no entry here (tests/test_module_registry.py checks every
workload label has one).

Ports are the ones the programs listen on (container ports). Spark executors and eggroll's egg pairs talk
on ports they choose at run time, so those pools accept any port, but only from their own peers.
"""

from __future__ import annotations

from components.fate_cluster.ingress import UIS, wanted_uis
from models import modules
from models.fate import FateSpec
from models.flows import INGRESS_CONTROLLER, TOY, Allow

__all__ = ["MODULE_FLOWS", "TOY", "TOY_SELECTOR", "party_flows"]

TOY_SELECTOR = {"app.kubernetes.io/name": "fate-toy"}

# Workload label -> who may connect, from each module's definition (models/modules/).
MODULE_FLOWS: dict[str, tuple[Allow, ...]] = {p.label: p.flows for p in modules.PARTS}


def party_flows(spec: FateSpec) -> dict[str, list[Allow]]:
    """MODULE_FLOWS plus the UI port of every Ingress this party renders, from the ingress controller."""
    flows = {module: list(allows) for module, allows in MODULE_FLOWS.items()}
    for ui in wanted_uis(spec):
        _, _, port, module = UIS[ui]
        flows[module].append(Allow((port,), (INGRESS_CONTROLLER,)))
    return flows
