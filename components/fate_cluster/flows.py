"""Who talks to whom in one party's FATE cluster: the one description its NetworkPolicies are generated from.

Keyed by the module that accepts the connection (its ``fateMoudle`` label); sources are modules of the same
namespace or the tokens of components/network_policy.py. A source module the backend does not deploy simply
drops out, so one table serves spark-pulsar, spark-local-pulsar and eggroll. The FateCluster refuses to
render a module that has no entry here, so a new module cannot forget its flows.

Ports are the ones the programs listen on (container ports). Spark executors and eggroll's egg pairs talk
on ports they choose at run time, so those pools accept any port, but only from their own peers.
"""

from __future__ import annotations

from components.fate_cluster.ingress import UIS, wanted_uis
from components.network_policy import ANYWHERE, INGRESS_CONTROLLER, Allow
from models.fate import FateSpec

# The federation's control plane talks to fateflow and nginx; the toy check (federation/toy_job.py) runs a
# pod with FATE's client in the namespace.
TOY = "fate-toy"
TOY_SELECTOR = {"app.kubernetes.io/name": "fate-toy"}

FATEFLOW_CLIENTS = ("client", "fateboard", "nginx", "osx", TOY)
HDFS_CLIENTS = ("python", "spark-worker", "datanode")

MODULE_FLOWS: dict[str, tuple[Allow, ...]] = {
    "mysql": (Allow((3306,), ("python", "clustermanager", "nodemanager")),),
    "python": (
        Allow((9360, 9380), FATEFLOW_CLIENTS),
        # Spark executors call back the driver (inside the fateflow pod) on its run-time ports.
        Allow(None, ("spark-worker",)),
    ),
    "fateboard": (),  # only through its Ingress (added from the ingress configuration)
    "client": (),  # idem
    "nginx": (Allow((9300, 9310), (ANYWHERE,)),),  # the exchange through the LoadBalancer; fateflow sends too
    "pulsar": (
        Allow((6651,), (ANYWHERE,)),  # the exchange's SNI tunnel through the LoadBalancer
        Allow((6650, 8080), ("python", "spark-worker")),  # producers/consumers and the admin API (topics)
    ),
    "spark-master": (Allow((7077,), ("python", "spark-worker")),),
    "spark-worker": (Allow(None, ("python", "spark-master", "spark-worker")),),
    "namenode": (Allow((9000,), HDFS_CLIENTS),),
    # 9866 block transfer, 9867 IPC, 9864 HTTP (Hadoop 3 defaults of the images FATE ships).
    "datanode": (Allow((9864, 9866, 9867), HDFS_CLIENTS),),
    "osx": (
        Allow((9370,), (ANYWHERE,)),  # eggroll's federation endpoint, reached from the exchange
    ),
    "clustermanager": (Allow((4670,), ("python", "nodemanager", "osx")),),
    "nodemanager": (Allow(None, ("python", "clustermanager", "nodemanager", "osx")),),
}


def party_flows(spec: FateSpec) -> dict[str, list[Allow]]:
    """MODULE_FLOWS plus the UI port of every Ingress this party renders, from the ingress controller."""
    flows = {module: list(allows) for module, allows in MODULE_FLOWS.items()}
    for ui in wanted_uis(spec):
        _, _, port, module = UIS[ui]
        flows[module].append(Allow((port,), (INGRESS_CONTROLLER,)))
    return flows
