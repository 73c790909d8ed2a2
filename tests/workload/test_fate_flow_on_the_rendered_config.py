"""FATE-Flow 2.0.0 and its MySQL on what each party's stack deployed (issue 10).

For parties 30000 and 40000: the party's ``mysql`` StatefulSet pod (tests/workload/images_fate.py ``MYSQL``: the
image's entrypoint behaviour over the cached MySQL 9.7.4) and then its ``python`` StatefulSet pod (``fateflow``
container, profile ``federatedai/fateflow-spark``: FATE-Flow 2.0.0 from the cached venv without
``cryptography``, run by the pod's own command) are started from the API server, inside the package's network
namespace. The Services of the party resolve to addresses of its own (127.97.<n>.x, or the LoadBalancer address
the local control plane gave), so both parties' pods could share the namespace; they run one after the other
because mysqld listens on *:3306. fateflow must log in with the password of the Secret, create its tables,
answer a fate-client 2.0.0 ``flow`` call with the party id, and run with the engines the stack set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from models import fate_defaults
from tests.workload.fate_pods import party_addresses, secret_value, statefulset_runner
from tests.workload.images_fate import MYSQL, profile_for_fate, runtime_env
from tests.workload.netns import NetNs
from tests.workload.runner import read_workload

pytestmark = pytest.mark.workload

PARTIES = {30000: 1, 40000: 2}  # party id -> n of its 127.97.<n>.x addresses
# Tables FATE-Flow 2.0.0 creates (fate_flow/db/db_models.py, a few of the 21).
FLOW_TABLES = {"t_job", "t_task", "t_engine_registry", "t_provider_info", "t_server", "t_worker"}
START_TIMEOUT = 180


MYSQL_PROBE = r"""
import json, os, ssl, sys
import pymysql
host, port, user, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = None
if ca:
    # Verified against the stack's CA; the name is checked below (PyMySQL checks the address it connects to).
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
conn = pymysql.connect(host=host, port=port, user=user, password=os.environ["PROBE_PASSWORD"], ssl=ctx)
out = {"cert_names": []}
if ca:
    out["cert_names"] = [v for k, v in conn._sock.getpeercert().get("subjectAltName", ()) if k == "DNS"]
cur = conn.cursor()
cur.execute("SELECT VERSION()"); out["version"] = cur.fetchone()[0]
cur.execute("SHOW STATUS LIKE 'Ssl_version'"); out["ssl_version"] = cur.fetchone()[1]
cur.execute("SELECT user, host, plugin FROM mysql.user WHERE user NOT LIKE 'mysql.%'")
out["users"] = [list(r) for r in cur.fetchall()]
cur.execute("SHOW DATABASES"); out["databases"] = [r[0] for r in cur.fetchall()]
db = os.environ["PROBE_DATABASE"]
cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (db,))
out["tables"] = sorted(r[0] for r in cur.fetchall())
cur.execute("SELECT t.processlist_user, s.variable_value FROM performance_schema.threads t "
            "JOIN performance_schema.status_by_thread s USING (thread_id) "
            "WHERE s.variable_name = 'Ssl_version' AND t.processlist_user = %s", (os.environ["PROBE_FLOW_USER"],))
out["flow_sessions_tls"] = [r[1] for r in cur.fetchall()]
print(json.dumps(out))
"""


def probe_mysql(
    netns: NetNs, venv: str, host: str, port: int, root_password: str, database: str, flow_user: str, ca: str | None
) -> dict[str, Any]:
    """What the server holds, asked as root over TLS (verified against the stack's CA when it deployed one;
    else with the cached ``cryptography`` overlay so the probe can log in at all)."""
    env = {
        "PATH": f"{venv}/bin:/usr/bin:/bin",
        "PROBE_PASSWORD": root_password,
        "PROBE_DATABASE": database,
        "PROBE_FLOW_USER": flow_user,
    }
    if ca is None:
        env["PYTHONPATH"] = runtime_env()["KFT_FATE_CRYPTOGRAPHY_OVERLAY"]
    proc = netns.cmd(
        [f"{venv}/bin/python", "-c", MYSQL_PROBE, host, str(port), "root", ca or ""], env=env, check=False, timeout=60
    )
    assert proc.returncode == 0, f"MySQL probe failed:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout)


def expected_engines(stack_config: dict[str, Any]) -> dict[str, str]:
    """The engines the party's stack sets: its ``fate.backend`` (models/fate_defaults.py BACKENDS), in
    FATE-Flow's names (Spark_local runs on the spark engine)."""
    fate = stack_config["config"]["kubefate-tanzu:fate"]
    computing, federation, storage, _ = fate_defaults.BACKENDS[fate["backend"]]
    return {
        "computing": "spark" if computing.startswith("Spark") else computing.lower(),
        "federation": federation.lower(),
        "storage": storage.lower(),
    }


ENGINES_PROBE = (
    "import json; from fate_flow.runtime.system_settings import ENGINES, PARTY_ID; "
    "print(json.dumps({'engines': ENGINES, 'party_id': PARTY_ID}))"
)


@pytest.fixture(scope="module")
def fate_runtime() -> dict[str, str]:
    """tools/fate_runtime.sh's cache (built by `make test`; built here if missing, which takes minutes)."""
    return runtime_env()


@pytest.mark.parametrize("party", sorted(PARTIES))
def test_fate_flow_starts_on_its_mysql(
    workload_federation, netns: NetNs, fate_runtime: dict[str, str], tmp_path: Path, party: int
) -> None:
    fed, _ = workload_federation
    api, ns = fed.api, f"fate-{party}"
    venv = fate_runtime["KFT_FATE_VENV"]
    addresses, pod_ip = party_addresses(api, ns, PARTIES[party])
    mysql_ip = addresses["mysql"]
    python_sts = read_workload(api, ns, "statefulset", "python")
    flow_image = next(
        c["image"] for c in python_sts["spec"]["template"]["spec"]["containers"] if c["name"] == "fateflow"
    )
    conf_cm = next(
        cm for cm in api.items(f"/api/v1/namespaces/{ns}/configmaps") if "service_conf.yaml" in (cm.get("data") or {})
    )
    service_conf = yaml.safe_load(conf_cm["data"]["service_conf.yaml"])
    db = service_conf["database"]["mysql"]

    mysql = statefulset_runner(api, ns, "mysql", "mysql", netns, tmp_path / "mysql", mysql_ip, addresses, MYSQL)
    flow = statefulset_runner(
        api, ns, "python", "fateflow", netns, tmp_path / "python", pod_ip, addresses, profile_for_fate(flow_image)
    )
    try:
        mysql.start()
        mysql.wait_listening(3306, timeout=START_TIMEOUT, host=mysql_ip)
        flow.start()
        flow.wait_listening(9380, timeout=START_TIMEOUT, host=pod_ip)
        flow.wait_listening(9360, timeout=30, host=pod_ip)

        # The database as the mysql pod configured it, and what fateflow made of it.
        tls_ca = None
        if db.get("ssl", {}).get("ca"):
            tls_ca = str(tmp_path / "mysql-ca.pem")
            Path(tls_ca).write_text(flow.read(db["ssl"]["ca"]))
        root_pw = secret_value(api, ns, "fate-credentials", "mysql-root-password")
        seen = probe_mysql(netns, venv, mysql_ip, 3306, root_pw, db["name"], db["user"], tls_ca)
        if tls_ca:
            assert db["host"] in seen["cert_names"], seen["cert_names"]
        users = {(u, h): p for u, h, p in seen["users"]}
        assert users.get((db["user"], "%")) == "caching_sha2_password", seen["users"]
        assert db["name"] in seen["databases"]
        assert set(seen["tables"]) >= FLOW_TABLES, f"fateflow's tables in {db['name']}: {seen['tables']}"
        assert len(seen["tables"]) >= 21, seen["tables"]
        # fateflow's pooled connections: every one over TLS (the fix), none in plain text.
        assert seen["flow_sessions_tls"] and all(seen["flow_sessions_tls"]), seen["flow_sessions_tls"]

        # fate-client 2.0.0 `flow`, inside the pod (`flow init` writes its settings next to the package, so it
        # must not run against the shared cached venv).
        flow_env = {"PATH": f"{venv}/bin:/usr/bin:/bin", "HOME": "/root"}
        init = flow.exec([f"{venv}/bin/flow", "init", "--ip", pod_ip, "--port", "9380"], env=flow_env)
        assert init.returncode == 0, init.stdout + init.stderr
        site = flow.exec([f"{venv}/bin/flow", "site", "query"], env=flow_env)
        assert site.returncode == 0, site.stdout + site.stderr
        answer = json.loads(site.stdout)
        assert answer["code"] == 0 and answer["data"]["party_id"] == str(party), answer

        # The engines fate_flow runs with: no 2.0.0 API reports them, so fate_flow's own settings module is
        # evaluated in the pod, on the service_conf.yaml the pod's command put in place.
        probe = flow.exec(
            ["bash", "-c", f'cd /data/projects/fate && exec python -c "{ENGINES_PROBE}"'], env=flow.plan.env
        )
        assert probe.returncode == 0, probe.stdout + probe.stderr
        running = json.loads(probe.stdout.strip().splitlines()[-1])
        assert running["party_id"] == str(party)
        engines = {k: running["engines"][k] for k in ("computing", "federation", "storage")}
        assert engines == expected_engines(fed.stack_config(f"local-party-{party}")), running
    finally:
        logs = {r.plan.container: r.log(200) for r in (mysql, flow)}
        for r in (flow, mysql):
            r.stop()
        if os.environ.get("KFT_WORKLOAD_LOGS"):
            for name, text in logs.items():
                print(f"--- {ns}/{name}\n{text}")


def test_without_tls_fateflow_cannot_log_in(
    workload_federation, netns: NetNs, fate_runtime: dict[str, str], tmp_path: Path
) -> None:
    """The defect the fix removes, shown on the same server: PyMySQL 1.1.0 of the image's venv, over plain TCP to
    a cold ``caching_sha2_password`` cache, cannot log in as the party's fate user without ``cryptography``."""
    fed, _ = workload_federation
    party = min(PARTIES)
    api, ns = fed.api, f"fate-{party}"
    addresses, _ = party_addresses(api, ns, PARTIES[party])
    mysql = statefulset_runner(
        api, ns, "mysql", "mysql", netns, tmp_path / "mysql", addresses["mysql"], addresses, MYSQL
    )
    venv = fate_runtime["KFT_FATE_VENV"]
    script = (
        "import os, pymysql; pymysql.connect(host=os.environ['H'], port=3306, user='fate', password=os.environ['P'])"
    )
    try:
        mysql.start()
        mysql.wait_listening(3306, timeout=START_TIMEOUT, host=addresses["mysql"])
        proc = netns.cmd(
            [f"{venv}/bin/python", "-c", script],
            check=False,
            timeout=60,
            env={
                "PATH": "/usr/bin:/bin",
                "H": addresses["mysql"],
                "P": secret_value(api, ns, "fate-credentials", "mysql-password"),
            },
        )
    finally:
        mysql.stop()
    assert proc.returncode != 0
    assert "'cryptography' package is required for sha256_password or caching_sha2_password" in proc.stderr, (
        proc.stderr[-2000:]
    )
