"""spark: a standalone Spark cluster (master and workers) for the spark-pulsar backend."""

from models.engines import Computing
from models.fate_module import FateModule, Image, Minimum, Part, Requirement, Ui
from models.flows import Allow

MODULE = FateModule(
    name="spark",
    order=80,
    needs=Requirement("computing", (Computing.SPARK,)),
    builder="components.fate_cluster.modules_spark:build_spark",
    parts=(
        Part(
            path="spark.master",
            label="spark-master",
            image=Image("federatedai/spark-master"),
            requests={"cpu": "1", "memory": "2Gi"},
            ports={"web-ui": 8080, "master": 7077, "master-rest": 6066},
            exposed=True,
            node_ports=("nodePort",),
            flows=(Allow((7077,), ("python", "spark-worker")),),
            ui=Ui("spark", "spark", "spark-client", 8080, on_request=True),
        ),
        Part(
            path="spark.worker",
            label="spark-worker",
            image=Image("federatedai/spark-worker", suffix="algorithm"),
            requests={"cpu": "8", "memory": "16Gi"},
            ports={"web-ui": 8081},
            minimum=Minimum(8.0, 16, "a Spark worker"),
            replicas=2,
            exposed=True,
            flows=(Allow(None, ("python", "spark-master", "spark-worker")),),
        ),
    ),
)
