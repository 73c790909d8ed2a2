"""Defaults the FateCluster uses when a key is absent, in one place so the model, the sizing rules and the
component agree (the sizing rules check *effective* values, defaults included).

Requests follow the reference architecture for production: every pod that does FATE's own work (fateflow,
the eggroll node managers, the osx gateway, the pulsar broker) gets 4 vCPU / 8 GiB, Spark workers 8 vCPU /
16 GiB; supporting services are sized for what they do. Volume sizes are at least 5 GiB because the data
volumes hold the parties' training data and job outputs.
"""

from __future__ import annotations

FATE_VERSION = "2.0.0"
PULSAR_TAG = "2.10.2"
MYSQL_TAG = "8.0.28"
HADOOP_TAG = "2.0.0-hadoop3.2.1-java8"

# Backend shorthands: (computing, federation, storage, modules)
BACKENDS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "spark-pulsar": (
        "Spark",
        "Pulsar",
        "HDFS",
        ("mysql", "python", "fateboard", "client", "spark", "hdfs", "nginx", "pulsar"),
    ),
    "spark-local-pulsar": (
        "Spark_local",
        "Pulsar",
        "LocalFS",
        ("mysql", "python", "fateboard", "client", "nginx", "pulsar"),
    ),
    "eggroll": (
        "Eggroll",
        "OSX",
        "Eggroll",
        ("mysql", "python", "fateboard", "client", "osx", "clustermanager", "nodemanager"),
    ),
}

# Modules whose pods do FATE's work and therefore must meet 4 vCPU / 8 GiB; spark worker has its own minimum.
FATE_POD_MIN = (4.0, 8)
SPARK_WORKER_MIN = (8.0, 16)
VOLUME_MIN_GIB = 5
FATE_WORK_MODULES = ("python", "osx", "nodemanager", "pulsar")

# Resource path (as in the cluster YAML) -> default requests.
RESOURCE_DEFAULTS: dict[str, dict[str, str]] = {
    "python": {"cpu": "4", "memory": "8Gi"},
    "osx": {"cpu": "4", "memory": "8Gi"},
    "nodemanager": {"cpu": "4", "memory": "8Gi"},
    "pulsar": {"cpu": "4", "memory": "8Gi"},
    "clustermanager": {"cpu": "1", "memory": "2Gi"},
    "mysql": {"cpu": "1", "memory": "2Gi"},
    "fateboard": {"cpu": "500m", "memory": "1Gi"},
    "client": {"cpu": "1", "memory": "2Gi"},
    "nginx": {"cpu": "500m", "memory": "512Mi"},
    "spark.master": {"cpu": "1", "memory": "2Gi"},
    "spark.worker": {"cpu": "8", "memory": "16Gi"},
    "hdfs.namenode": {"cpu": "1", "memory": "2Gi"},
    "hdfs.datanode": {"cpu": "1", "memory": "2Gi"},
}

# Volume path -> default size (only used with persistence on).
VOLUME_DEFAULTS: dict[str, str] = {
    "python": "10Gi",
    "mysql": "10Gi",
    "client": "10Gi",
    "nodemanager": "50Gi",
    "pulsar": "20Gi",
    "hdfs.namenode": "10Gi",
    "hdfs.datanode": "50Gi",
}


# Which module each resource/volume path belongs to (the path's first segment is the module).
def module_of(path: str) -> str:
    return path.split(".", 1)[0]
