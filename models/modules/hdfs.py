"""hdfs: the namenode and datanodes that store the spark-pulsar backend's tables."""

from models.engines import Storage
from models.fate_module import FateModule, Image, Part, Requirement
from models.flows import Allow

CLIENTS = ("python", "spark-worker", "datanode")

MODULE = FateModule(
    name="hdfs",
    order=90,
    needs=Requirement("storage", (Storage.HDFS,)),
    builder="components.fate_cluster.modules_spark:build_hdfs",
    parts=(
        Part(
            path="hdfs.namenode",
            label="namenode",
            image=Image("federatedai/hadoop-namenode", tag="hadoop"),
            requests={"cpu": "1", "memory": "2Gi"},
            ports={"fs": 9000, "web": 9870},
            volume="10Gi",
            exposed=True,
            node_ports=("nodePort",),
            flows=(Allow((9000,), CLIENTS),),
        ),
        Part(
            path="hdfs.datanode",
            label="datanode",
            image=Image("federatedai/hadoop-datanode", tag="hadoop"),
            requests={"cpu": "1", "memory": "2Gi"},
            ports={"fs": 9000, "web": 9864},
            volume="50Gi",
            replicas=3,
            exposed=True,
            # 9866 block transfer, 9867 IPC, 9864 HTTP (Hadoop 3 defaults of the images FATE ships).
            flows=(Allow((9864, 9866, 9867), CLIENTS),),
        ),
    ),
)
