"""nodemanager: eggroll's workers, whose egg pairs talk to each other on ports chosen at run time."""

from models.engines import Computing
from models.fate_module import FATE_POD, FateModule, Image, Part, Requirement
from models.flows import Allow

MODULE = FateModule(
    name="nodemanager",
    order=70,
    needs=Requirement("computing", (Computing.EGGROLL,)),
    builder="components.fate_cluster.modules_eggroll:build_nodemanager",
    parts=(
        Part(
            path="nodemanager",
            label="nodemanager",
            image=Image("federatedai/eggroll"),
            requests={"cpu": "4", "memory": "8Gi"},
            ports={"tcp-nm": 4671},
            volume="50Gi",
            minimum=FATE_POD,
            replicas=2,
            flows=(Allow(None, ("python", "clustermanager", "nodemanager", "osx")),),
        ),
    ),
)
