"""The eggroll backend: osx (federation gateway, v2.0.0's replacement for rollsite), clustermanager and
nodemanagers. ``eggroll-config`` is rendered by the python module (fateflow reads it too)."""

from __future__ import annotations

from components.fate_cluster import objects as o
from components.fate_cluster.context import BuildContext
from components.fate_cluster.modules_core import _eggroll_properties_copy, eggroll_env
from components.fate_cluster.render_eggroll import (
    render_broker_properties,
    render_eggroll_properties,
    render_osx_route_table,
)
from components.images import image_ref

EGGROLL_JAVA = (
    "java -server -Dlog4j.configurationFile=${EGGROLL_HOME}/conf/log4j2.xml -Dmodule=MODULE "
    "-cp ${EGGROLL_HOME}/lib/*: org.fedai.eggroll.MODULE.Bootstrap -p PORT -s EGGROLL_DAEMON"
)


def _java(module: str, port: int) -> str:
    return EGGROLL_JAVA.replace("MODULE", module).replace("PORT", str(port))


def _eggroll_volumes() -> tuple[list[dict], list[dict]]:
    return (
        [{"name": "eggroll-confs", "configMap": {"name": "eggroll-config"}}],
        [{"name": "eggroll-confs", "mountPath": f"{o.FATE_HOME}/eggroll/conf-tmp/"}],
    )


def build_osx(ctx: BuildContext) -> None:
    """osx reads only its own broker config; it does not mount eggroll-config (upstream always did, §12.3)."""
    spec = ctx.spec
    conf = {
        "route_table.json": render_osx_route_table(spec),
        "broker.properties": render_broker_properties(spec),
    }
    ctx.config_map("osx-config", "osx", conf)
    command = [
        "sh",
        "-c",
        f"exec java -server {o.jvm_memory_flags(spec, 'osx')} -XX:+UseG1GC "
        "-XX:+HeapDumpOnOutOfMemoryError -XX:-OmitStackTraceInFastThrow "
        "-cp conf/broker/:lib/*:extension/*:/data/projects/fate/osx/lib/osx-broker-1.0.0.jar "
        "org.fedai.osx.broker.Bootstrap -c /data/projects/fate/osx/conf",
    ]
    main = o.container(
        spec,
        "osx",
        image_ref(spec, "osx"),
        "osx",
        o.ports("osx"),
        command=command,
        env=[{"name": "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "value": "python"}],
        volumeMounts=[{"name": "osx-confs", "mountPath": f"{o.FATE_HOME}/osx/conf/broker/"}],
        **o.probes("tcp", 9370),
    )
    pod = o.pod_spec(spec, "osx", [main], [{"name": "osx-confs", "configMap": {"name": "osx-config"}}])
    pod["hostAliases"] = [{"ip": "127.0.0.1", "hostnames": ["osx"]}]
    ctx.workload("Deployment", "osx", "osx", pod, {f"osx-config/{k}": v for k, v in conf.items()})
    osx = spec.osx
    ctx.service(
        "osx",
        "osx",
        o.exposed_service(spec, "osx", "osx", "osx", [("tcp-osx", 9370, osx.node_port if osx else None)]),
    )


def build_clustermanager(ctx: BuildContext) -> None:
    spec = ctx.spec
    props = render_eggroll_properties(spec)
    volumes, mounts = _eggroll_volumes()
    command = [
        "bash",
        "-c",
        "set -e\n" + _eggroll_properties_copy() + "\nexec " + _java("clustermanager", 4670),
    ]
    main = o.container(
        spec,
        "clustermanager",
        image_ref(spec, "clustermanager"),
        "clustermanager",
        o.ports("clustermanager"),
        command=command,
        env=eggroll_env(),
        volumeMounts=mounts,
        **o.probes("tcp", 4670),
    )
    ctx.workload(
        "Deployment",
        "clustermanager",
        "clustermanager",
        o.pod_spec(spec, "clustermanager", [main], volumes),
        {"eggroll-config/eggroll.properties": props},
    )
    ctx.service(
        "clustermanager",
        "clustermanager",
        o.service(spec, "clustermanager", "clustermanager", [("tcp-cm", 4670, None)], headless=True),
    )


def build_nodemanager(ctx: BuildContext) -> None:
    """Upstream's fluent-bit sidecar read a fluentd-syntax file (inert); eggroll logs stay on the log
    volume."""
    spec = ctx.spec
    nm = spec.nodemanager
    props = render_eggroll_properties(spec)
    volumes, mounts = _eggroll_volumes()
    data_volumes, claims = o.data_volume(spec, "nodemanager", "data-dir", "nodemanager")
    volumes += [
        *data_volumes,
        {"name": "eggroll-log", "emptyDir": {}},
        {"name": "python-confs", "configMap": {"name": "python-config"}},
    ]
    sub_path = (nm.sub_path if nm else None) or "nodemanager"
    mounts += [
        {"name": "eggroll-log", "mountPath": f"{o.FATE_HOME}/eggroll/logs/"},
        {"name": "python-confs", "mountPath": f"{o.FATE_HOME}/conf/"},
        {"name": "data-dir", "mountPath": f"{o.FATE_HOME}/eggroll/data", "subPath": sub_path},
        {"name": "data-dir", "mountPath": f"{o.FATE_HOME}/llm", "subPath": "llm"},
    ]
    command = [
        "bash",
        "-c",
        "set -e\n" + _eggroll_properties_copy() + "\nexec /tini -- " + _java("nodemanager", 4671),
    ]
    env = [*eggroll_env(), {"name": "HUGGINGFACE_HUB_CACHE", "value": f"{o.FATE_HOME}/llm"}]
    main = o.container(
        spec,
        "nodemanager",
        image_ref(spec, "nodemanager"),
        "nodemanager",
        o.ports("nodemanager"),
        command=command,
        env=env,
        volumeMounts=mounts,
        **o.probes("tcp", 4671),
    )
    ctx.workload(
        "StatefulSet",
        "nodemanager",
        "nodemanager",
        o.pod_spec(spec, "nodemanager", [main], volumes),
        {"eggroll-config/eggroll.properties": props},
        replicas=o.replicas(spec, "nodemanager"),
        service_name="nodemanager",
        claim_templates=claims,
    )
    ctx.service(
        "nodemanager",
        "nodemanager",
        o.service(spec, "nodemanager", "nodemanager", [("tcp-nm", 4671, None)], headless=True),
    )
