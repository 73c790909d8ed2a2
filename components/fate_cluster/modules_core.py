"""The modules every backend has: mysql, python (fateflow), fateboard and client (notebook)."""

from __future__ import annotations

from typing import Any

import pulumi

from components.fate_cluster import mysql_tls
from components.fate_cluster import objects as o
from components.fate_cluster import render_fateboard as fb_render
from components.fate_cluster.context import CREDENTIALS_SECRET, NOTEBOOK_HASH_KEY, BuildContext
from components.fate_cluster.render_eggroll import DASHBOARD_PASSWORD_PLACEHOLDER, render_eggroll_properties
from components.fate_cluster.render_fateboard import render_application_properties
from components.fate_cluster.render_fateflow import (
    MYSQL_PASSWORD_PLACEHOLDER,
    SPARK_HOME,
    mysql_settings,
    render_service_conf,
    render_spark_defaults,
)
from components.images import image_ref
from models.engines import SPARK_COMPUTING, Computing, Federation

FLOW = f"{o.FATE_HOME}/fate_flow"
# The non-headless Service of the python pods: its cluster IP is the party nginx's route to FATE-Flow.
FATEFLOW_CLIENT = "fateflow-client"


def build_mysql(ctx: BuildContext) -> None:
    """Root gets a generated password too (upstream left it empty, MYSQL_ALLOW_EMPTY_PASSWORD). For eggroll
    the metadata schema comes from the eggroll image itself, so it always matches the eggroll version.
    mysqld serves TLS with the party's certificate (Secret ``mysql-tls``, readable by group mysql through
    fsGroup); a new certificate rolls the pod (its checksum covers the certificates, not the key)."""
    spec, tls = ctx.spec, ctx.wiring.mysql()
    db = mysql_settings(spec)
    data = (spec.mysql.claim_name if spec.mysql else None) or "mysql-data"
    volumes, claims = o.data_volume(spec, "mysql", data, "mysql")
    volumes.append(mysql_tls.server_volume())
    mounts = [
        {"name": data, "mountPath": "/var/lib/mysql", **o.sub_path(spec, "mysql")},
        {"name": mysql_tls.MYSQL_TLS_SECRET, "mountPath": mysql_tls.SERVER_TLS_DIR, "readOnly": True},
    ]
    init = []
    if spec.computing == Computing.EGGROLL:
        volumes.append({"name": "initdb", "emptyDir": {}})
        mounts.append({"name": "initdb", "mountPath": "/docker-entrypoint-initdb.d"})
        init.append(
            o.container(
                spec,
                "eggroll-schema",
                image_ref(spec, "clustermanager"),
                None,
                {},
                command=[
                    "bash",
                    "-c",
                    "cp ${EGGROLL_HOME:-/data/projects/fate/eggroll}/conf/create-eggroll-meta-tables.sql /initdb/",
                ],
                volumeMounts=[{"name": "initdb", "mountPath": "/initdb"}],
            )
        )
    env = [
        {"name": "MYSQL_DATABASE", "value": db["database"]},
        {"name": "MYSQL_USER", "value": db["user"]},
        o.secret_env("MYSQL_PASSWORD", CREDENTIALS_SECRET, "mysql-password"),
        o.secret_env("MYSQL_ROOT_PASSWORD", CREDENTIALS_SECRET, "mysql-root-password"),
    ]
    main = o.container(
        spec,
        "mysql",
        image_ref(spec, "mysql"),
        "mysql",
        o.ports("mysql"),
        env=env,
        args=mysql_tls.server_args(),
        volumeMounts=mounts,
        **o.probes("exec", 3306, "mysqladmin ping -h 127.0.0.1"),
    )
    pod = o.pod_spec(spec, "mysql", [main], volumes, init)
    # OnRootMismatch: the data volume is walked once, not on every start.
    pod["securityContext"].update(fsGroup=mysql_tls.MYSQL_GID, fsGroupChangePolicy="OnRootMismatch")
    files = {
        f"{mysql_tls.MYSQL_TLS_SECRET}/{mysql_tls.CA_KEY}": tls.ca_pem,
        f"{mysql_tls.MYSQL_TLS_SECRET}/{mysql_tls.CERT_KEY}": tls.cert_pem,
    }
    ctx.workload(
        "StatefulSet", "mysql", "mysql", pod, pulumi.Output.all(**files), service_name="mysql", claim_templates=claims
    )
    body = o.exposed_service(spec, "mysql", "mysql", "mysql", [("tcp-mysql", 3306, None)])
    body["ports"][0]["port"] = db["port"]  # clients use mysql.port; the server always listens on 3306
    ctx.service("mysql", "mysql", body)


# Fills the copied service_conf.yaml in the pod: the pod IP for ``host: fateflow_ip`` and the Secret-fed
# MYSQL_PASSWORD for the placeholder, written as a YAML double-quoted scalar in which every character outside
# printable ASCII, and the quote and backslash, is a \U escape. Whatever the password holds (/ & \ ' " : # or
# a newline) the YAML stays valid and parses back to exactly the Secret's value; a sed replacement breaks on
# / & \ and YAML has specials of its own. The password is read from the environment only, so it is in neither
# the command, the pod spec nor a process list. It fails (set -e) when the placeholder is missing.
SERVICE_CONF_FILL = """import os, sys
path = sys.argv[1]
password = os.environ["MYSQL_PASSWORD"]
quoted = '"' + "".join(c if " " <= c <= "~" and c not in '"\\\\' else "\\\\U%08x" % ord(c) for c in password) + '"'
with open(path) as f:
    text = f.read()
if "passwd: " + sys.argv[2] not in text:
    sys.exit(path + ": no 'passwd: " + sys.argv[2] + "' to fill in")
text = text.replace("host: fateflow_ip", "host: " + os.environ["POD_IP"])
text = text.replace("passwd: " + sys.argv[2], "passwd: " + quoted)
with open(path, "w") as f:
    f.write(text)
"""


def _fateflow_command(spec: Any) -> list[str]:
    """Why this differs from upstream: no ``pip install`` at start-up (it needs PyPI egress on every restart;
    extra packages belong in a derived image set through python.image) and no ``--debug``. The password
    placeholder is filled from the Secret-fed env var by the image's python (``SERVICE_CONF_FILL``), not ``sed``.

    No patch of pyfate's pulsar federation: upstream's ``sed`` (``int(party.party_id)`` -> ``str(...)``) targets
    ``fate/arch/federation/pulsar/_federation.py``, which pyfate 2.0.0 does not have (its module is
    ``backends/pulsar/_federation.py``), and none is needed: the rendered route table has integer party keys,
    which is what 2.0.0's ``int(party.party_id)`` looks up. The route table goes where fate_flow 2.0.0 reads it,
    ``<fate_flow>/conf/pulsar_route_table.yaml`` (``runtime/system_settings.FATE_FLOW_CONF_PATH``)."""
    conf = f"{FLOW}/conf/service_conf.yaml"
    lines = [
        "set -eu",
        f"mkdir -p {o.FATE_HOME}/conf/",
        f"cp {o.FATE_HOME}/conf-tmp/service_conf.yaml {conf}",
        f"python - {conf} {MYSQL_PASSWORD_PLACEHOLDER} <<'FILL'\n{SERVICE_CONF_FILL}FILL",
    ]
    if spec.computing in SPARK_COMPUTING:
        lines += [
            f"cp {o.FATE_HOME}/conf-tmp/spark-defaults.conf {SPARK_HOME}/conf/spark-defaults.conf",
            f'sed -i "s/fateflow/${{POD_IP}}/g" {SPARK_HOME}/conf/spark-defaults.conf',
        ]
    if spec.federation == Federation.PULSAR:
        lines += [f"cp {FLOW}/conf/pulsar_route_table/pulsar_route_table.yaml {FLOW}/conf/pulsar_route_table.yaml"]
    if spec.computing == Computing.EGGROLL:
        lines += [_eggroll_properties_copy()]
    lines += [f"cd {o.FATE_HOME}", "exec python fate_flow/python/fate_flow/fate_flow_server.py"]
    return ["/bin/bash", "-c", "\n".join(lines)]


def _eggroll_properties_copy() -> str:
    return (
        f'sed -e "s/{MYSQL_PASSWORD_PLACEHOLDER}/${{MYSQL_PASSWORD}}/" '
        f'-e "s/{DASHBOARD_PASSWORD_PLACEHOLDER}/${{EGGROLL_DASHBOARD_PASSWORD}}/" '
        f"{o.FATE_HOME}/eggroll/conf-tmp/eggroll.properties > {o.FATE_HOME}/eggroll/conf/eggroll.properties"
    )


def eggroll_env() -> list[dict[str, Any]]:
    return [
        o.secret_env("MYSQL_PASSWORD", CREDENTIALS_SECRET, "mysql-password"),
        o.secret_env("EGGROLL_DASHBOARD_PASSWORD", CREDENTIALS_SECRET, "eggroll-dashboard-password"),
    ]


def build_python(ctx: BuildContext) -> None:
    spec, pulsar_routes, tls = ctx.spec, ctx.wiring.pulsar_routes, ctx.wiring.mysql()
    py = spec.python
    conf = {
        "service_conf.yaml": render_service_conf(spec),
        "spark-defaults.conf": render_spark_defaults(spec),
    }
    ctx.config_map("python-config", "python", conf)
    files: dict[str, Any] = {f"python-config/{k}": v for k, v in conf.items()}
    files[f"{mysql_tls.MYSQL_TLS_SECRET}/{mysql_tls.CA_KEY}"] = tls.ca_pem
    volumes, claims = o.data_volume(spec, "python", (py.claim_name if py else None) or "python-data", "python")
    data = (py.claim_name if py else None) or "python-data"
    volumes.append({"name": "python-confs", "configMap": {"name": "python-config"}})
    volumes.append(mysql_tls.client_volume())
    mounts = [
        {"name": "python-confs", "mountPath": f"{o.FATE_HOME}/conf-tmp/"},
        {"name": mysql_tls.MYSQL_TLS_SECRET, "mountPath": mysql_tls.CLIENT_CA_DIR, "readOnly": True},
        {"name": data, "mountPath": f"{FLOW}/logs", **o.sub_path(spec, "python", "logs")},
        {"name": data, "mountPath": f"{FLOW}/jobs", **o.sub_path(spec, "python", "jobs")},
        {"name": data, "mountPath": f"{FLOW}/model_local_cache", **o.sub_path(spec, "python", "model-local-cache")},
        {"name": data, "mountPath": f"{o.FATE_HOME}/llm", **o.sub_path(spec, "python", "llm")},
    ]
    env: list[dict[str, Any]] = [
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "FATE_LOG_LEVEL", "value": (py.log_level if py else None) or "INFO"},
        {"name": "FATE_PROJECT_BASE", "value": o.FATE_HOME},
        {"name": "HUGGINGFACE_HUB_CACHE", "value": f"{o.FATE_HOME}/llm"},
        o.secret_env("MYSQL_PASSWORD", CREDENTIALS_SECRET, "mysql-password"),
    ]
    if spec.computing == Computing.SPARK:
        env += [
            {"name": "FATE_FLOW_UPLOAD_MAX_NUM", "value": "1000000"},
            {"name": "FATE_FLOW_UPLOAD_MAX_BYTES", "value": "104868093952"},
        ]
    if spec.federation == Federation.PULSAR and pulsar_routes is not None:
        ctx.config_map(
            "pulsar-route-table",
            "python",
            pulumi.Output.from_input(pulsar_routes).apply(lambda t: {"pulsar_route_table.yaml": t}),
        )
        files["pulsar-route-table/pulsar_route_table.yaml"] = pulsar_routes
        volumes.append({"name": "pulsar-route-table", "configMap": {"name": "pulsar-route-table"}})
        mounts.append({"name": "pulsar-route-table", "mountPath": f"{FLOW}/conf/pulsar_route_table"})
    if spec.computing == Computing.EGGROLL:
        eggroll_props = render_eggroll_properties(spec)
        ctx.config_map("eggroll-config", "clustermanager", {"eggroll.properties": eggroll_props})
        files["eggroll-config/eggroll.properties"] = eggroll_props
        volumes.append({"name": "eggroll-confs", "configMap": {"name": "eggroll-config"}})
        mounts.append({"name": "eggroll-confs", "mountPath": f"{o.FATE_HOME}/eggroll/conf-tmp/"})
        env.append(o.secret_env("EGGROLL_DASHBOARD_PASSWORD", CREDENTIALS_SECRET, "eggroll-dashboard-password"))
    db = mysql_settings(spec)
    wait_mysql = o.container(
        spec,
        "wait-for-mysql",
        image_ref(spec, "mysql"),
        None,
        {},
        profile="none",
        command=[
            "sh",
            "-c",
            f"until mysqladmin ping -h {db['host']} -P {db['port']} --silent; do echo waiting for mysql; sleep 2; done",
        ],
    )
    main = o.container(
        spec,
        "fateflow",
        image_ref(spec, "python"),
        "python",
        o.ports("python"),
        env=env,
        command=_fateflow_command(spec),
        volumeMounts=mounts,
        **o.probes("tcp", 9380, liveness_delay=30),
    )
    pod = o.pod_spec(
        spec, "python", [main], volumes, [wait_mysql], service_account=py.service_account_name if py else None
    )
    all_files = pulumi.Output.all(**files) if any(isinstance(v, pulumi.Output) for v in files.values()) else files
    ctx.workload(
        "StatefulSet",
        "python",
        "python",
        pod,
        all_files,
        replicas=o.replicas(spec, "python"),
        service_name="fateflow",
        claim_templates=claims,
    )
    ctx.service(
        "fateflow",
        "python",
        o.service(spec, "fateflow", "python", [("tcp-grpc", 9360, None), ("tcp-http", 9380, None)], headless=True),
    )
    ctx.service(
        FATEFLOW_CLIENT,
        "python",
        o.exposed_service(
            spec,
            FATEFLOW_CLIENT,
            "python",
            "python",
            [
                ("tcp-grpc", 9360, py.grpc_node_port if py else None),
                ("tcp-http", 9380, py.http_node_port if py else None),
            ],
        ),
    )


def build_fateboard(ctx: BuildContext) -> None:
    """The login password reaches ``conf/application.properties`` only from the Secret, through an init
    container writing an in-memory copy of the rendered file (render_fateboard.py says why)."""
    spec = ctx.spec
    props = render_application_properties(spec)
    ctx.config_map("fateboard-config", "fateboard", {"application.properties": props})
    password = o.secret_env(fb_render.PASSWORD_ENV, CREDENTIALS_SECRET, "fateboard-password")
    conf_init = o.container(
        spec,
        "fateboard-conf",
        image_ref(spec, "fateboard"),
        None,
        {},
        command=fb_render.conf_command(),
        env=[password],
        volumeMounts=[
            {"name": "fateboard-confs", "mountPath": fb_render.TEMPLATE_DIR, "readOnly": True},
            {"name": "fateboard-conf", "mountPath": fb_render.CONF_DIR},
        ],
    )
    mounts = [
        {
            "name": "fateboard-conf",
            "mountPath": f"{o.FATE_HOME}/fateboard/conf/application.properties",
            "subPath": "application.properties",
        }
    ]
    main = o.container(
        spec,
        "fateboard",
        image_ref(spec, "fateboard"),
        "fateboard",
        o.ports("fateboard"),
        env=[password],  # the same value for whatever binds it through Spring's environment
        volumeMounts=mounts,
        **o.probes("http", 8080),
    )
    volumes = [
        {"name": "fateboard-confs", "configMap": {"name": "fateboard-config"}},
        {"name": "fateboard-conf", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
    ]
    pod = o.pod_spec(spec, "fateboard", [main], volumes, [conf_init])
    ctx.workload("Deployment", "fateboard", "fateboard", pod, {"fateboard-config/application.properties": props})
    fb_service = o.exposed_service(spec, "fateboard", "fateboard", "fateboard", [("tcp-fateboard", 8080, None)])
    ctx.service("fateboard", "fateboard", fb_service)


def build_client(ctx: BuildContext) -> None:
    """Jupyter without ``--debug``, always behind a password: its hash comes from the credentials Secret
    (generated unless the config gives one, components/fate_cluster/notebook_auth.py). The empty token only
    turns off Jupyter's second, URL-borne login, so the password is the one way in."""
    spec = ctx.spec
    volumes, claims = o.data_volume(spec, "client", "persistence", "client")
    mounts = [{"name": "persistence", "mountPath": f"{o.FATE_HOME}/persistence/", **o.sub_path(spec, "client")}]
    serving = f"{spec.serving_ip}:{spec.serving_port}" if spec.serving_ip and spec.serving_port else ""
    env: list[dict[str, Any]] = [
        {"name": "partyId", "value": str(spec.party_id)},
        {"name": "FATE_FLOW_IP", "value": "fateflow"},
        {"name": "FATE_FLOW_PORT", "value": "9380"},
        {"name": "FATE_SERVING_HOST", "value": serving},
    ]
    env.append(o.secret_env("NOTEBOOK_HASHED_PASSWORD", CREDENTIALS_SECRET, NOTEBOOK_HASH_KEY))
    command = [
        "bash",
        "-c",
        "pipeline init --ip ${FATE_FLOW_IP} --port ${FATE_FLOW_PORT} && "
        "flow init --ip ${FATE_FLOW_IP} --port ${FATE_FLOW_PORT} && "
        "exec jupyter notebook --ip=0.0.0.0 --port=20000 --allow-root --no-browser "
        "--NotebookApp.notebook_dir=/data/projects/fate/ --NotebookApp.token='' "
        "--NotebookApp.password=${NOTEBOOK_HASHED_PASSWORD}",
    ]
    main = o.container(
        spec,
        "client",
        image_ref(spec, "client"),
        "client",
        o.ports("client"),
        env=env,
        command=command,
        volumeMounts=mounts,
        **o.probes("http", 20000),
    )
    pod = o.pod_spec(spec, "client", [main], volumes)
    ctx.workload("StatefulSet", "client", "client", pod, {}, service_name="notebook", claim_templates=claims)
    ctx.service("notebook", "client", o.service(spec, "notebook", "client", [("tcp-notebook", 20000, None)]))
