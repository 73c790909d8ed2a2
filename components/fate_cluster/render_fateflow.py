"""fateflow's ``service_conf.yaml`` and ``spark-defaults.conf`` (ConfigMap ``python-config``).

The database password is not in the rendered file: it holds ``MYSQL_PASSWORD_PLACEHOLDER`` and the container
substitutes it from an env var fed by ``secretKeyRef`` when it copies the file into place (fateflow already
copies its conf at start-up to patch in the pod IP, so one more substitution keeps the file a plain ConfigMap
whose checksum drives rollouts, while the password only ever lives in the Secret).

fateflow connects to MySQL over TLS, verifying the server against the party's MySQL CA
(components/fate_cluster/mysql_tls.py): over plain TCP, ``caching_sha2_password`` needs the ``cryptography``
package, which the FATE-Flow 2.0.0 image lacks. ``database.mysql`` is passed by FATE-Flow to peewee's
``PooledMySQLDatabase`` and on to ``pymysql.connect``, so ``ssl: {ca: ...}`` is PyMySQL's own option (server
certificate and host name verified).
"""

from __future__ import annotations

import math
from typing import Any

import yaml

from components.fate_cluster.mysql_tls import CLIENT_CA_PATH
from models import modules
from models.engines import SPARK_COMPUTING, Computing
from models.fate import FateSpec
from models.fateflow_auth import FateflowAuthentication

MYSQL_PASSWORD_PLACEHOLDER = "__FATE_MYSQL_PASSWORD__"
SPARK_HOME = "/data/projects/spark-3.1.3-bin-hadoop3.2"
DEFAULT_SPARK_WORKERS = modules.part("spark.worker").replicas
DEFAULT_NODEMANAGERS = modules.part("nodemanager").replicas
DEFAULT_SESSION_PROCESSORS = 4
# FATE-Flow 2.0.0 reserves job_cores (4, the image's conf/job_default_config.yaml) for every job and queues the
# job until the engine has that many left: a budget derived below it would keep every default job waiting.
JOB_DEFAULT_CORES = 4


def mysql_settings(spec: FateSpec) -> dict[str, Any]:
    m = spec.mysql
    return {
        "host": (m.ip if m else None) or "mysql",
        "port": (m.port if m else None) or 3306,
        "database": (m.database if m else None) or "eggroll_meta",
        "user": (m.user if m else None) or "fate",
    }


def computing_cores(spec: FateSpec) -> dict[str, int]:
    """Cores fateflow may schedule, from configuration rather than upstream's hard-coded 32/16/2 (§12.12)."""
    py = spec.python
    standalone = max(JOB_DEFAULT_CORES, math.floor(spec.effective_request("python", "cpu") or 1))
    out = {"standalone": standalone}
    if spec.computing == Computing.EGGROLL:
        nm = spec.nodemanager
        cm = py.clustermanager if py else None
        out["eggroll_cores"] = (
            (cm.cores_per_node if cm else None)
            or (nm.session_processors_per_node if nm else None)
            or DEFAULT_SESSION_PROCESSORS
        )
        out["eggroll_nodes"] = (cm.nodes if cm else None) or (nm.replicas if nm else None) or DEFAULT_NODEMANAGERS
    if spec.computing == Computing.SPARK:
        sp = py.spark if py else None
        worker = spec.spark.worker if spec.spark else None
        per_node = (sp.cores_per_node if sp else None) or max(
            1, math.floor(spec.effective_request("spark.worker", "cpu") or 1)
        )
        nodes = (sp.nodes if sp else None) or (worker.replicas if worker else None) or DEFAULT_SPARK_WORKERS
        explicit = sp is not None and sp.cores_per_node is not None and sp.nodes is not None
        out["spark"] = per_node * nodes if explicit else max(JOB_DEFAULT_CORES, per_node * nodes)
    elif spec.computing == Computing.SPARK_LOCAL:
        out["spark"] = standalone
    return out


def render_service_conf(spec: FateSpec) -> str:
    py = spec.python
    pulsar = py.pulsar if py and py.pulsar else None
    nginx = py.nginx if py and py.nginx else None
    hdfs = py.hdfs if py and py.hdfs else None
    auth = py.authentication if py else None  # models/fateflow_auth.py says what each switch does
    db = mysql_settings(spec)
    cores = computing_cores(spec)
    computing = "spark" if spec.computing in SPARK_COMPUTING else "eggroll"
    zookeeper = spec.serving.zookeeper if spec.serving and spec.serving.zookeeper else None
    conf: dict[str, Any] = {
        "party_id": str(spec.party_id),
        "use_registry": bool(spec.serving.use_registry) if spec.serving else False,
        "log_level": 20,
        "encrypt": {
            "key_0": {
                "module": "fate_flow.hub.encrypt.password_encrypt#pwdecrypt",
                "private_path": "private_key.pem",
            }
        },
        "fateflow": {
            "host": "fateflow_ip",
            "http_port": 9380,
            "grpc_port": 9360,
            "proxy_name": "nginx" if computing == "spark" else "osx",
            "nginx": {"host": None, "http_port": None, "grpc_port": None},
        },
        "database": {
            "engine": "mysql",
            "decrypt_key": None,
            "mysql": {
                "name": db["database"],
                "user": db["user"],
                "passwd": MYSQL_PASSWORD_PLACEHOLDER,
                "host": db["host"],
                "port": db["port"],
                "max_connections": 100,
                "stale_timeout": 30,
                "ssl": {"ca": CLIENT_CA_PATH},
            },
            "sqlite": {"path": None},
        },
        "default_engines": {
            "computing": computing,
            "federation": (spec.federation or "").lower(),
            "storage": (spec.storage or "").lower(),
        },
        "default_provider": {"name": "fate", "version": spec.fate_version, "device": "local"},
        "computing": {
            "standalone": {"cores": cores["standalone"]},
            "eggroll": {
                "cores": cores.get("eggroll_cores", 0),
                "nodes": cores.get("eggroll_nodes", 0),
                "host": "clustermanager",
                "port": 4670,
            },
            "spark": {"home": f"{SPARK_HOME}/", "cores": cores.get("spark", 0)},
        },
        "federation": {
            "osx": {"host": "osx", "port": 9370, "mode": "stream"},
            "pulsar": {
                "host": (pulsar.host if pulsar else None) or "pulsar",
                "port": (pulsar.port if pulsar else None) or 6650,
                "mng_port": (pulsar.mng_port if pulsar else None) or 8080,
                "topic_ttl": (pulsar.topic_ttl if pulsar else None) or 3,
                "cluster": (pulsar.cluster if pulsar else None) or "standalone",
                "tenant": (pulsar.tenant if pulsar else None) or "fl-tenant",
                "route_table": "conf/pulsar_route_table/pulsar_route_table.yaml",
                "mode": "replication",
                "max_message_size": 1048576,
            },
            "nginx": {
                "host": (nginx.host if nginx else None) or "nginx",
                "http_port": (nginx.http_port if nginx else None) or 9300,
                "grpc_port": (nginx.grpc_port if nginx else None) or 9310,
                "protocol": "http",
            },
        },
        "storage": {
            "hdfs": {
                "name_node": (hdfs.name_node if hdfs else None) or "hdfs://namenode:9000",
                **({"path_prefix": hdfs.path_prefix} if hdfs and hdfs.path_prefix else {}),
            }
        },
        "hook_module": {
            "client_authentication": "fate_flow.hook.flow.client_authentication",
            "site_authentication": "fate_flow.hook.flow.site_authentication",
            "permission": "fate_flow.hook.flow.permission",
        },
        "authentication": (auth or FateflowAuthentication()).model_dump(),
        "model_store": {"engine": "file", "decrypt_key": None, "file": {"path": None}},
        "servings": {
            "hosts": [f"{spec.serving_ip}:{spec.serving_port}"] if spec.serving_ip and spec.serving_port else []
        },
        "zookeeper": {
            "hosts": (
                zookeeper.hosts
                if zookeeper and zookeeper.hosts
                else [f"serving-zookeeper.fate-serving-{spec.party_id}:2181"]
            ),
            "use_acl": False,
            "user": (zookeeper.user if zookeeper else None) or "fate",
        },
    }
    return yaml.safe_dump(conf, sort_keys=False)


def render_spark_defaults(spec: FateSpec) -> str:
    """``fateflow`` in ``spark.driver.host`` is replaced by the pod IP at start-up, as upstream does."""
    sp = spec.python.spark if spec.python and spec.python.spark else None
    master = (
        "local[*]"
        if spec.computing == Computing.SPARK_LOCAL
        else ((sp.master if sp else None) or "spark://spark-master:7077")
    )
    lines: list[tuple[str, str | int]] = [
        ("spark.master", master),
        ("spark.driver.host", (sp.driver_host if sp else None) or "fateflow"),
    ]
    if sp and sp.driver_start_port:
        lines.append(("spark.driver.port", sp.driver_start_port))
    if sp and sp.port_max_retries:
        lines.append(("spark.port.maxRetries", sp.port_max_retries))
    if sp and sp.block_manager_start_port:
        lines += [
            ("spark.blockManager.port", sp.block_manager_start_port),
            ("spark.driver.bindAddress", "0.0.0.0"),
        ]
    if sp and sp.pyspark_python:
        lines += [("spark.pyspark.python", sp.pyspark_python), ("spark.pyspark.driver.python", "python")]
    return "".join(f"{k:<34}{v}\n" for k, v in lines)
