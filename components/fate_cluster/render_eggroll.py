"""Eggroll/OSX config: ``eggroll.properties`` (clustermanager, nodemanager, fateflow) and the osx broker's
``broker.properties`` and ``route_table.json``.

Passwords (the metadata DB's and the eggroll dashboard's) are placeholders substituted in the container from
Secret-fed env vars, like fateflow's service_conf (render_fateflow.py). osx gets the real party id (upstream
hard-codes 9999, §12.3) and a ``default`` route to ``osx.exchange`` when one is configured.
"""

from __future__ import annotations

import json

from components.fate_cluster.render_fateflow import MYSQL_PASSWORD_PLACEHOLDER, mysql_settings
from models.fate import FateSpec

DASHBOARD_PASSWORD_PLACEHOLDER = "__EGGROLL_DASHBOARD_PASSWORD__"


def render_eggroll_properties(spec: FateSpec) -> str:
    db = mysql_settings(spec)
    tz = (spec.clustermanager.mysql_server_timezone if spec.clustermanager else None) or "UTC"
    processors = (spec.nodemanager.session_processors_per_node if spec.nodemanager else None) or 4
    url = (
        f"jdbc:mysql://{db['host']}:{db['port']}/{db['database']}?useSSL=false&serverTimezone={tz}"
        "&characterEncoding=utf8&allowPublicKeyRetrieval=true"
    )
    props = [
        ("eggroll.resourcemanager.nodemanager.net.device", "eth0"),
        ("eggroll.resourcemanager.nodemanager.gpu.num.shell", "nvidia.sh"),
        ("eggroll.resourcemanager.clustermanager.jdbc.driver.class.name", "com.mysql.cj.jdbc.Driver"),
        ("eggroll.resourcemanager.clustermanager.jdbc.url", url),
        ("eggroll.resourcemanager.clustermanager.jdbc.username", db["user"]),
        ("eggroll.resourcemanager.clustermanager.jdbc.password", MYSQL_PASSWORD_PLACEHOLDER),
        ("eggroll.resourcemanager.clustermanager.host", "clustermanager"),
        ("eggroll.resourcemanager.clustermanager.port", 4670),
        ("eggroll.resourcemanager.nodemanager.host", "nodemanager"),
        ("eggroll.resourcemanager.nodemanager.port", 4671),
        ("eggroll.resourcemanager.process.tag", spec.party_id),
        ("eggroll.dashboard.server.port", 8083),
        ("eggroll.security.session.expired.time", 30),
        ("eggroll.security.login.username", "admin"),
        ("eggroll.security.login.password", DASHBOARD_PASSWORD_PLACEHOLDER),
        ("eggroll.security.encrypt.private_key", ""),
        ("eggroll.security.encrypt.enable", "false"),
        ("eggroll.data.dir", "/data/projects/fate/eggroll/data/"),
        ("eggroll.logs.dir", "/data/projects/fate/eggroll/logs/"),
        ("eggroll.bootstrap.root.script", "bin/eggroll_boot.sh"),
        ("eggroll.resourcemanager.bootstrap.egg_pair.exepath", "bin/roll_pair/egg_pair_bootstrap.sh"),
        ("eggroll.resourcemanager.bootstrap.egg_pair.venv", ""),
        ("eggroll.resourcemanager.bootstrap.egg_pair.pythonpath", "python"),
        (
            "eggroll.resourcemanager.bootstrap.egg_pair.filepath",
            "python/eggroll/computing/egg_pair/egg_pair.py",
        ),
        ("eggroll.resourcemanager.bootstrap.egg_pair.ld_library_path", ""),
        ("eggroll.session.processors.per.node", processors),
        ("eggroll.container.deepspeed.distributed.backend", "nccl"),
    ]
    return "[eggroll]\n" + "".join(f"{k}={v}\n" for k, v in props)


def osx_route_table(spec: FateSpec) -> dict:
    osx = spec.osx
    routes: dict[str, dict] = {}
    if osx is not None and osx.exchange is not None:
        routes["default"] = {"default": [{"ip": osx.exchange.ip, "port": osx.exchange.port}]}
    for party in (osx.party_list if osx else None) or ():
        routes[str(party.party_id)] = {"default": [{"ip": party.party_ip, "port": party.party_port}]}
    routes[str(spec.party_id)] = {"fateflow": [{"ip": "fateflow", "port": 9360}]}
    return {"route_table": routes, "self_party": [str(spec.party_id)], "permission": {"default_allow": True}}


def render_osx_route_table(spec: FateSpec) -> str:
    return json.dumps(osx_route_table(spec), indent=2) + "\n"


def render_broker_properties(spec: FateSpec) -> str:
    props = [
        ("grpc.port", 9370),
        ("open.http.server", "false"),
        ("http.port", 8087),
        ("https.port", 8088),
        ("open.grpc.tls.server", "false"),
        ("grpc.tls.port", 9883),
        ("self.party", spec.party_id),
        ("deploy.mode", "standalone"),
        ("zk.url", "127.0.0.1:2181"),
        ("stream.limit.mode", "LOCAL"),
        ("eggroll.cluster.manager.ip", "clustermanager"),
        ("eggroll.cluster.manager.port", 4670),
        ("produce.msg.max.try.time", 3),
        ("http.use.tls", "false"),
        ("mapped.file.size", 134217728),
    ]
    return "".join(f"{k}={v}\n" for k, v in props)
