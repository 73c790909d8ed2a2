"""python: FATE-Flow, which schedules jobs on the computing engine and federates through nginx/osx."""

from models.fate_module import FATE_POD, FateModule, Image, Part
from models.flows import TOY, Allow

MODULE = FateModule(
    name="python",
    order=20,
    common=True,
    builder="components.fate_cluster.modules_core:build_python",
    parts=(
        Part(
            path="python",
            label="python",
            image=Image("federatedai/fateflow", suffix="fateflow"),
            requests={"cpu": "4", "memory": "8Gi"},
            ports={"grpc-port": 9360, "http-port": 9380},
            volume="10Gi",
            minimum=FATE_POD,
            exposed=True,
            node_ports=("httpNodePort", "grpcNodePort"),
            flows=(
                Allow((9360, 9380), ("client", "fateboard", "nginx", "osx", TOY)),
                # Spark executors call back the driver (inside the fateflow pod) on its run-time ports.
                Allow(None, ("spark-worker",)),
            ),
        ),
    ),
)
