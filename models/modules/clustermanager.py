"""clustermanager: eggroll's session and resource manager."""

from models.engines import Computing
from models.fate_module import FateModule, Image, Part, Requirement
from models.flows import Allow

MODULE = FateModule(
    name="clustermanager",
    order=60,
    needs=Requirement("computing", (Computing.EGGROLL,)),
    builder="components.fate_cluster.modules_eggroll:build_clustermanager",
    secrets=("eggroll-dashboard-password",),
    parts=(
        Part(
            path="clustermanager",
            label="clustermanager",
            image=Image("federatedai/eggroll", suffix="algorithm"),
            requests={"cpu": "1", "memory": "2Gi"},
            ports={"tcp-cm": 4670},
            flows=(Allow((4670,), ("python", "nodemanager", "osx")),),
        ),
    ),
)
