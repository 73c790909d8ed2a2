"""mysql: FATE's metadata database (fateflow's jobs, eggroll's sessions), TLS-only, generated passwords."""

from models.fate_module import FateModule, Image, Part
from models.flows import Allow

MODULE = FateModule(
    name="mysql",
    order=10,
    common=True,
    builder="components.fate_cluster.modules_core:build_mysql",
    secrets=("mysql-password", "mysql-root-password"),
    parts=(
        Part(
            path="mysql",
            label="mysql",
            image=Image("mysql", tag="mysql"),
            requests={"cpu": "1", "memory": "2Gi"},
            ports={"tcp-mysql": 3306},
            volume="10Gi",
            exposed=True,
            profile="mysql",
            flows=(Allow((3306,), ("python", "clustermanager", "nodemanager")),),
        ),
    ),
)
