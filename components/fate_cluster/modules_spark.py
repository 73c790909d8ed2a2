"""Spark (master and workers) and HDFS (namenode and datanodes) of the spark+pulsar backend."""

from __future__ import annotations

from components.fate_cluster import objects as o
from components.fate_cluster.context import BuildContext
from components.fate_cluster.render_hdfs import hdfs_env, render_core_site
from components.images import BUSYBOX, helper_image, image_ref


def build_spark(ctx: BuildContext) -> None:
    """Workers mount the party's real service_conf (upstream mounted a static 1.x file with 127.0.0.1
    hosts)."""
    spec = ctx.spec
    master = spec.spark.master if spec.spark else None
    m_main = o.container(
        spec,
        "spark-master",
        image_ref(spec, "spark.master"),
        "spark.master",
        o.ports("spark.master"),
        **o.probes("http", 8080),
    )
    ctx.workload(
        "Deployment",
        "spark-master",
        "spark-master",
        o.pod_spec(spec, "spark.master", [m_main], []),
        {},
        replicas=o.replicas(spec, "spark.master"),
    )
    ctx.service(
        "spark-master",
        "spark-master",
        o.service(
            spec,
            "spark-master",
            "spark-master",
            [("web-ui", 8080, None), ("master", 7077, None), ("master-rest", 6066, None)],
            headless=True,
        ),
    )
    ctx.service(
        "spark-client",
        "spark-master",
        o.exposed_service(
            spec,
            "spark-client",
            "spark-master",
            "spark.master",
            [
                ("web-ui", 8080, master.node_port if master else None),
                ("master", 7077, None),
                ("master-rest", 6066, None),
            ],
        ),
    )
    w_main = o.container(
        spec,
        "spark-worker",
        image_ref(spec, "spark.worker"),
        "spark.worker",
        o.ports("spark.worker"),
        volumeMounts=[{"name": "python-confs", "mountPath": f"{o.FATE_HOME}/conf/"}],
        **o.probes("http", 8081),
    )
    pod = o.pod_spec(spec, "spark.worker", [w_main], [{"name": "python-confs", "configMap": {"name": "python-config"}}])
    ctx.workload(
        "Deployment",
        "spark-worker",
        "spark-worker",
        pod,
        {},
        replicas=o.replicas(spec, "spark.worker"),
    )
    ctx.service(
        "spark-worker-1",
        "spark-worker",
        o.service(spec, "spark-worker-1", "spark-worker", [("web-ui", 8081, None)], headless=True),
    )


def build_hdfs(ctx: BuildContext) -> None:
    spec = ctx.spec
    nn = spec.hdfs.namenode if spec.hdfs else None
    env_data = hdfs_env()
    core_site = render_core_site()
    ctx.config_map("namenode-config", "namenode", {"core-site.xml": core_site})
    ctx.config_map("namenode-env", "namenode", env_data)
    ctx.config_map("datanode-env", "datanode", env_data)
    env_text = "".join(f"{k}={v}\n" for k, v in sorted(env_data.items()))

    volumes, claims = o.data_volume(spec, "hdfs.namenode", "dfs", "namenode")
    volumes.append({"name": "namenode-confs", "configMap": {"name": "namenode-config"}})
    init = []
    if spec.persistence:  # a fresh ext4 volume has lost+found, which the namenode refuses to format over
        init.append(
            o.container(
                spec,
                "delete-lost-found",
                helper_image(spec, BUSYBOX),
                None,
                {},
                profile="none",
                command=["sh", "-c", "rm -rf /hadoop/dfs/name/lost+found"],
                volumeMounts=[{"name": "dfs", "mountPath": "/hadoop/dfs/name"}],
            )
        )
    main = o.container(
        spec,
        "namenode",
        image_ref(spec, "hdfs.namenode"),
        "hdfs.namenode",
        o.ports("hdfs.namenode"),
        env=[{"name": "CLUSTER_NAME", "value": "fate"}],
        envFrom=[{"configMapRef": {"name": "namenode-env"}}],
        volumeMounts=[
            {"name": "dfs", "mountPath": "/hadoop/dfs/name", **o.sub_path(spec, "hdfs.namenode")},
            {"name": "namenode-confs", "mountPath": "/etc/hadoop/core-site.xml", "subPath": "core-site.xml"},
        ],
        **o.probes("exec", 9870, "curl -f http://localhost:9870"),
    )
    ctx.workload(
        "StatefulSet",
        "namenode",
        "namenode",
        o.pod_spec(spec, "hdfs.namenode", [main], volumes, init),
        {"namenode-config/core-site.xml": core_site, "namenode-env": env_text},
        service_name="namenode",
        claim_templates=claims,
    )
    ctx.service(
        "namenode",
        "namenode",
        o.exposed_service(
            spec,
            "namenode",
            "namenode",
            "hdfs.namenode",
            [("tcp-rpc", 9000, nn.node_port if nn else None), ("http-web", 9870, None)],
        ),
    )

    volumes, claims = o.data_volume(spec, "hdfs.datanode", "dfs", "datanode")
    main = o.container(
        spec,
        "datanode",
        image_ref(spec, "hdfs.datanode"),
        "hdfs.datanode",
        o.ports("hdfs.datanode"),
        env=[{"name": "SERVICE_PRECONDITION", "value": "namenode:9000"}],
        envFrom=[{"configMapRef": {"name": "datanode-env"}}],
        volumeMounts=[{"name": "dfs", "mountPath": "/hadoop/dfs/data", **o.sub_path(spec, "hdfs.datanode")}],
        **o.probes("exec", 9864, "curl -f http://localhost:9864"),
    )
    ctx.workload(
        "StatefulSet",
        "datanode",
        "datanode",
        o.pod_spec(spec, "hdfs.datanode", [main], volumes),
        {"datanode-env": env_text},
        replicas=o.replicas(spec, "hdfs.datanode"),
        service_name="datanode",
        claim_templates=claims,
    )
    ctx.service(
        "datanode",
        "datanode",
        o.exposed_service(
            spec, "datanode", "datanode", "hdfs.datanode", [("tcp-rpc", 9000, None), ("http-web", 9864, None)]
        ),
    )
