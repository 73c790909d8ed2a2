"""osx: eggroll's federation gateway in FATE 2.0.0 (it replaced rollsite), reached from the exchange."""

from models.engines import Computing
from models.fate_module import FATE_POD, FateModule, Image, Part, Requirement
from models.flows import ANYWHERE, Allow

MODULE = FateModule(
    name="osx",
    order=50,
    needs=Requirement("computing", (Computing.EGGROLL,)),
    builder="components.fate_cluster.modules_eggroll:build_osx",
    parts=(
        Part(
            path="osx",
            label="osx",
            image=Image("federatedai/osx"),
            requests={"cpu": "4", "memory": "8Gi"},
            ports={"tcp-osx": 9370},
            minimum=FATE_POD,
            exposed=True,
            node_ports=("nodePort",),
            flows=(Allow((9370,), (ANYWHERE,)),),  # eggroll's federation endpoint, reached from the exchange
        ),
    ),
)
