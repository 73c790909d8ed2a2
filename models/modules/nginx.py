"""nginx: FATE's control-message proxy of the Spark backends, exposed to the exchange."""

from models.engines import Computing
from models.fate_module import FateModule, Image, Part, Requirement
from models.flows import ANYWHERE, Allow

MODULE = FateModule(
    name="nginx",
    order=100,
    needs=Requirement("computing", (Computing.SPARK, Computing.SPARK_LOCAL)),
    builder="components.fate_cluster.modules_federation:build_nginx",
    parts=(
        Part(
            path="nginx",
            label="nginx",
            image=Image("federatedai/nginx"),
            requests={"cpu": "500m", "memory": "512Mi"},
            ports={"http-port": 9300, "grpc-port": 9310},
            exposed=True,
            node_ports=("httpNodePort", "grpcNodePort"),
            profile="openresty",
            # the exchange through the LoadBalancer; fateflow sends too
            flows=(Allow((9300, 9310), (ANYWHERE,)),),
        ),
    ),
)
