"""Image profiles of the FATE party's core: ``mysql:8.0.28`` and ``federatedai/fateflow[-spark]:2.0.0-release``.

Kept apart from tests/workload/images.py (the exchange's images) and passed to ``PodRunner.from_api`` with
``profile=``. The programs are the ones tools/fate_runtime.sh builds into the versioned cache (docs/workload-fate.md):
MySQL 9.7.4 from Debian unstable (no 8.0 can be had here) and a python3.11 venv with FATE-Flow, pyfate and
fate-client 2.0.0, without ``cryptography`` (as the image). What each profile maps, and why, is listed in
docs/workload.md ("FATE-Flow and MySQL"); nothing the stack renders is touched: the pod's command, args, env and
mounts go over the layout exactly as its spec says.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from tests.workload.images import ImageProfile, Op

CACHE = Path(os.environ.get("KFT_CACHE", Path.home() / ".cache" / "kubefate-tanzu"))
FATE_RUNTIME = Path(__file__).resolve().parents[2] / "tools" / "fate_runtime.sh"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def runtime_env() -> dict[str, str]:
    """KFT_FATE_VENV, KFT_MYSQL_DIR, ... of the cached runtime (``tools/fate_runtime.sh env`` builds what is
    missing first and is a no-op when everything is cached)."""
    proc = subprocess.run([str(FATE_RUNTIME), "env"], capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"tools/fate_runtime.sh env failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)


def _traversable(path: Path) -> list[Op]:
    """The cache lives under /root (0700 on the host). A program that runs as another user (mysqld as
    ``mysql``) must be able to reach it: each ancestor without search permission for others gets it, in the
    pod's writable layer only (the host's directory keeps its mode)."""
    ops: list[Op] = []
    for d in [*reversed(path.parents), path][1:]:
        st = d.stat()
        if not st.st_mode & stat.S_IXOTH:
            ops.append(
                {
                    "op": "mkdir",
                    "path": str(d),
                    "mode": (st.st_mode & 0o7777) | 0o011,
                    "uid": st.st_uid,
                    "gid": st.st_gid,
                }
            )
    return ops


def _with_account(path: str, name: str, uid: int, gid: int, kind: str) -> Op:
    """/etc/passwd or /etc/group of the host with the image's account added (and whatever held its id removed,
    e.g. Debian's systemd-journal group 999)."""
    keep = []
    for line in Path(path).read_text().splitlines():
        fields = line.split(":")
        taken = (fields[2] == str(uid)) if kind == "passwd" else (fields[2] == str(gid))
        if fields[0] != name and not taken:
            keep.append(line)
    keep.append(
        f"{name}:x:{uid}:{gid}:MySQL Server:/var/lib/mysql:/bin/false" if kind == "passwd" else f"{name}:x:{gid}:"
    )
    return {"op": "write", "path": path, "content": "\n".join(keep) + "\n"}


# --- mysql:8.0.28 ------------------------------------------------------------------------------------------
# Facts (docker-library/mysql, 8.0 Debian variant): ENTRYPOINT ["docker-entrypoint.sh"], CMD ["mysqld"], no USER
# (root; the entrypoint re-executes itself as `mysql`, uid/gid 999, with gosu). Config /etc/mysql/my.cnf:
# pid-file /var/run/mysqld/mysqld.pid, socket /var/run/mysqld/mysqld.sock, datadir /var/lib/mysql,
# secure-file-priv NULL, conf.d/docker.cnf skip-host-cache + skip-name-resolve. On an empty datadir the entrypoint
# runs `mysqld --initialize-insecure` with the container's args, starts a socket-only server, sets root's password
# (MYSQL_ROOT_PASSWORD) for root@localhost and creates root@'%' (MYSQL_ROOT_HOST, default %), drops `test`,
# creates MYSQL_DATABASE and MYSQL_USER@'%' IDENTIFIED BY MYSQL_PASSWORD (the server's default plugin:
# caching_sha2_password on 8.0) with ALL on the database, runs /docker-entrypoint-initdb.d/*, stops the temporary
# server and finally execs `mysqld <args>` as mysql (PID 1).
MYSQL_UID = MYSQL_GID = 999
MYSQL_ENTRYPOINT = "/usr/local/bin/docker-entrypoint.sh"


def _mysqld_wrapper(mysql_dir: Path) -> str:
    lib = mysql_dir / "root/usr/lib/x86_64-linux-gnu"
    return f"""#!/bin/sh
# Stand-in for the image's /usr/sbin/mysqld (tests/workload/images_fate.py, MYSQL): the cached Debian unstable
# mysqld ({mysql_dir.name}) with its own loader and libraries; it reads /etc/mysql/my.cnf like the image's.
exec {lib}/ld-linux-x86-64.so.2 --library-path {lib} {mysql_dir}/root/usr/sbin/mysqld "$@"
"""


def _my_cnf(mysql_dir: Path) -> str:
    usr = mysql_dir / "root/usr"
    return f"""# /etc/mysql/my.cnf of mysql:8.0.28 (Debian variant: my.cnf, mysql.conf.d/mysqld.cnf, conf.d/docker.cnf)
[mysqld]
pid-file        = /var/run/mysqld/mysqld.pid
socket          = /var/run/mysqld/mysqld.sock
datadir         = /var/lib/mysql
secure-file-priv= NULL
skip-name-resolve
# conf.d/docker.cnf's skip-host-cache is gone in 9.x; host_cache_size=0 is what it meant.
host_cache_size = 0
# Stand-in only: where the Debian build's files are (the image's are at their compiled-in paths), and no X
# Plugin (the image listens on 33060 too; nothing of FATE uses it).
basedir         = {usr}
lc-messages-dir = {usr}/share/mysql
character-sets-dir = {usr}/share/mysql/charsets
plugin-dir      = {usr}/lib/mysql/plugin
mysqlx          = OFF
"""


MYSQL_ENTRYPOINT_SCRIPT = r"""#!/bin/bash
# Stand-in for mysql:8.0.28's docker-entrypoint.sh (tests/workload/images_fate.py, MYSQL), written from its
# behaviour, not copied. What it reproduces: args starting with '-' go to mysqld; as root it prepares the
# directories and re-executes itself as mysql (setpriv instead of gosu); on an empty datadir it initialises it with
# the container's args and runs, as the image's SQL does, root's password for root@localhost and root@'%',
# DROP DATABASE test, MYSQL_DATABASE, MYSQL_USER@'%' with MYSQL_PASSWORD and ALL on the database, then the
# *.sql files of /docker-entrypoint-initdb.d in that database; then it execs mysqld with the args (PID 1).
# What differs: the SQL is executed by `mysqld --initialize-insecure --init-file` instead of a temporary
# socket-only server and the mysql client (the cached server has no client); time-zone tables are not loaded
# (MYSQL_INITDB_SKIP_TZINFO behaviour; FATE uses none); *.sh / *.sql.gz init files are refused, not run.
set -eo pipefail
log() { echo "$(date -u +%FT%TZ) [Entrypoint]: $*"; }
fail() { log "ERROR: $*" >&2; exit 1; }
if [ "${1:0:1}" = '-' ]; then set -- mysqld "$@"; fi
[ "$1" = mysqld ] || exec "$@"
get_config() {
    { "$@" --verbose --help 2>/dev/null || true; } |
        awk -v k="$conf" '$1 == k && /^[^ \t]/ { sub(/^[^ \t]+[ \t]+/, ""); print; exit }'
}
conf=datadir; DATADIR=$(get_config "$@"); DATADIR=${DATADIR%/}
conf=socket; SOCKET=$(get_config "$@")
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$DATADIR" "$(dirname "$SOCKET")"
    find "$DATADIR" "$(dirname "$SOCKET")" \! -user mysql -exec chown mysql:mysql '{}' +
    log "Switching to dedicated user 'mysql'"
    exec setpriv --reuid=mysql --regid=mysql --init-groups "$BASH_SOURCE" "$@"
fi
esc() { local v=${1//\\/\\\\}; printf '%s' "${v//\'/\\\'}"; }
if [ ! -d "$DATADIR/mysql" ]; then
    if [ -z "$MYSQL_ROOT_PASSWORD$MYSQL_ALLOW_EMPTY_PASSWORD$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
        fail "Database is uninitialized and password option is not specified"
    fi
    [ -n "$MYSQL_RANDOM_ROOT_PASSWORD" ] && fail "MYSQL_RANDOM_ROOT_PASSWORD is not reproduced by the stand-in"
    init=$(mktemp -d)/init.sql
    umask 077
    root_pw=$(esc "$MYSQL_ROOT_PASSWORD")
    root_host=${MYSQL_ROOT_HOST:-%}
    {
        echo "SET @@SESSION.SQL_LOG_BIN=0;"
        echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_pw';"
        if [ "$root_host" != localhost ]; then
            echo "CREATE USER 'root'@'$root_host' IDENTIFIED BY '$root_pw';"
            echo "GRANT ALL ON *.* TO 'root'@'$root_host' WITH GRANT OPTION;"
        fi
        echo "DROP DATABASE IF EXISTS test;"
        if [ -n "$MYSQL_DATABASE" ]; then echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"; fi
        if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
            echo "CREATE USER '$MYSQL_USER'@'%' IDENTIFIED BY '$(esc "$MYSQL_PASSWORD")';"
            if [ -n "$MYSQL_DATABASE" ]; then
                echo "GRANT ALL ON \`${MYSQL_DATABASE//_/\\_}\`.* TO '$MYSQL_USER'@'%';"
            fi
        fi
        for f in /docker-entrypoint-initdb.d/*; do
            [ -e "$f" ] || continue
            case "$f" in
                *.sql) log "running $f"; [ -n "$MYSQL_DATABASE" ] && echo "USE \`$MYSQL_DATABASE\`;"; cat "$f"; echo ;;
                *) fail "$f: only *.sql init files are reproduced by the stand-in" ;;
            esac
        done
    } > "$init"
    log "Initializing database files"
    "$@" --initialize-insecure --default-time-zone=SYSTEM --init-file="$init"
    rm -rf "$(dirname "$init")"
    log "MySQL init process done. Ready for start up."
fi
exec "$@"
"""


def _mysql_ops() -> list[Op]:
    mysql_dir = Path(runtime_env()["KFT_MYSQL_DIR"])
    ops = _traversable(mysql_dir)
    ops.append(_with_account("/etc/passwd", "mysql", MYSQL_UID, MYSQL_GID, "passwd"))
    ops.append(_with_account("/etc/group", "mysql", MYSQL_UID, MYSQL_GID, "group"))
    ops.append({"op": "write", "path": "/usr/sbin/mysqld", "content": _mysqld_wrapper(mysql_dir), "mode": 0o755})
    ops.append({"op": "write", "path": "/etc/mysql/my.cnf", "content": _my_cnf(mysql_dir)})
    ops.append({"op": "write", "path": MYSQL_ENTRYPOINT, "content": MYSQL_ENTRYPOINT_SCRIPT, "mode": 0o755})
    ops.append({"op": "mkdir", "path": "/docker-entrypoint-initdb.d"})
    # The image: mkdir -p /var/lib/mysql /var/run/mysqld; chown mysql:mysql; chmod 1777 (/var/run -> /run).
    for d in ("/var/lib/mysql", "/run/mysqld"):
        ops.append({"op": "mkdir", "path": d, "mode": 0o1777, "uid": MYSQL_UID, "gid": MYSQL_GID})
    return ops


MYSQL = ImageProfile(
    name="mysql",
    user="root",
    entrypoint=("docker-entrypoint.sh",),
    cmd=("mysqld",),
    env={"PATH": DEFAULT_PATH},
    ops=_mysql_ops,
)

# --- federatedai/fateflow[-spark]:2.0.0-release -------------------------------------------------------------
# Facts (FATE-Builder docker-build/modules/fateflow/Dockerfile and fateflow-spark/Dockerfile): WORKDIR
# /data/projects/fate with fate/ (FATE, python/fate), fate_flow/ (FATE-Flow's tree: python/fate_flow the package,
# conf/, fateflow.env), fate_client/, eggroll/; ENV PYTHONPATH=/data/projects/fate/fate/python:
# /data/projects/fate/fate_flow/python:/data/projects/fate/eggroll/python, EGGROLL_HOME=/data/projects/fate/eggroll,
# FATE_PROJECT_BASE=/data/projects/fate, FATE_FLOW_IP=fateflow, FATE_FLOW_PORT=9380; no USER (root); the
# packages pip-installed into the image's python (not a venv). The -spark variant adds Spark 3.1.3 and Hadoop
# 3.2.1 under /data/projects and ENV JAVA_HOME, SPARK_HOME, HADOOP_HOME, LD_LIBRARY_PATH and PATH for them.
FATE_HOME = "/data/projects/fate"
SPARK_HOME = "/data/projects/spark-3.1.3-bin-hadoop3.2/"
HADOOP_HOME = "/data/projects/hadoop-3.2.1"


def _fateflow_ops(spark: bool) -> list[Op]:
    venv = Path(runtime_env()["KFT_FATE_VENV"])
    site = next((venv / "lib").glob("python3*/site-packages"))
    flow = site / "fate_flow"
    ops: list[Op] = [
        # FATE-Flow's tree as the image has it. A copy, not a symlink: fate_flow resolves its own directory with
        # realpath and treats itself as a venv install (conf/ inside the package) when it lies under sys.prefix.
        {"op": "copy", "source": str(flow), "path": f"{FATE_HOME}/fate_flow/python/fate_flow"},
        {"op": "copy", "source": str(flow / "conf"), "path": f"{FATE_HOME}/fate_flow/conf"},
        {"op": "write", "path": f"{FATE_HOME}/fate_flow/fateflow.env", "content": (flow / "fateflow.env").read_text()},
        # FATE (pyfate 2.0.0) at fate/python/fate: the provider path fate_flow registers.
        {"op": "symlink", "path": f"{FATE_HOME}/fate/python/fate", "target": str(site / "fate")},
        {"op": "mkdir", "path": f"{FATE_HOME}/eggroll/python"},
    ]
    if spark:
        # The pod's command copies spark-defaults.conf into $SPARK_HOME/conf/ under `set -eu`; Spark itself is not
        # installed (docs/workload-fate.md, open problem 1), only the directory it would be in.
        ops.append({"op": "mkdir", "path": f"{SPARK_HOME}conf"})
    return ops


def _fateflow_env(spark: bool) -> dict[str, str]:
    venv = runtime_env()["KFT_FATE_VENV"]
    path = f"{venv}/bin:{DEFAULT_PATH}"  # the image's python is the one with FATE's packages
    env = {
        "PYTHONPATH": f"{FATE_HOME}/fate/python:{FATE_HOME}/fate_flow/python:{FATE_HOME}/eggroll/python",
        "EGGROLL_HOME": f"{FATE_HOME}/eggroll",
        "FATE_PROJECT_BASE": FATE_HOME,
        "FATE_FLOW_IP": "fateflow",
        "FATE_FLOW_PORT": "9380",
    }
    if spark:
        env.update(
            {
                "JAVA_HOME": "/usr/lib/jvm/jre-1.8.0-openjdk",
                "SPARK_HOME": SPARK_HOME,
                "HADOOP_HOME": HADOOP_HOME,
                "LD_LIBRARY_PATH": f"{HADOOP_HOME}/lib/native",
            }
        )
        path += f":{SPARK_HOME.rstrip('/')}/bin:{HADOOP_HOME}/bin"
    env["PATH"] = path
    return env


def fateflow_profile(spark: bool) -> ImageProfile:
    """The profile of federatedai/fateflow-spark (``spark``) or federatedai/fateflow; built on demand because it
    needs the cached venv's path."""
    return ImageProfile(
        name="federatedai/fateflow-spark" if spark else "federatedai/fateflow",
        user="root",
        cmd=("/bin/bash", "-c", "sleep 5 && python fate_flow/python/fate_flow/fate_flow_server.py"),
        workdir=FATE_HOME,
        env=_fateflow_env(spark),
        ops=lambda: _fateflow_ops(spark),
    )


def profile_for_fate(image: str) -> ImageProfile:
    """mysql or fateflow[-spark] by image reference (registry and tag ignored)."""
    repo = image.split("@", 1)[0]
    if ":" in repo.rsplit("/", 1)[-1]:
        repo = repo.rsplit(":", 1)[0]
    last = repo.rsplit("/", 1)[-1]
    if last == "mysql":
        return MYSQL
    if last.startswith("fateflow"):
        return fateflow_profile(spark=last.startswith("fateflow-spark"))
    raise LookupError(f"no FATE image profile for {image!r} (tests/workload/images_fate.py: mysql, fateflow[-spark])")


# --- federatedai/pulsar:2.10.2 ------------------------------------------------------------------------------
# Facts (apachepulsar/pulsar 2.10 image, which federatedai/pulsar retags): WORKDIR /pulsar holding bin/, conf/,
# lib/ of the binary distribution; `bin/pulsar standalone` reads conf/standalone.conf (PULSAR_STANDALONE_CONF),
# honours PULSAR_MEM, keeps data in /pulsar/data; the JRE is on PATH. The stand-in's /pulsar/bin/pulsar runs
# the cached Maven classpath of the same version (tools/fate_runtime.sh, docs/workload-fate.md §3) through its
# pulsar-standalone wrapper, with conf/standalone.conf of the pod (the stack's ConfigMap, mounted there).
PULSAR_HOME = "/pulsar"


def _pulsar_bin(pulsar_dir: Path) -> str:
    return f"""#!/bin/bash
# Stand-in for the image's bin/pulsar (tests/workload/images_fate.py, PULSAR): only `standalone`, which the
# stack's command runs; -nss is what the cached wrapper always passes.
set -eu
[ "${{1:-}}" = standalone ] || {{ echo "bin/pulsar stand-in: only 'standalone' is reproduced, not: $*" >&2; exit 2; }}
shift
for a in "$@"; do [ "$a" = -nss ] || {{ echo "bin/pulsar stand-in: option $a is not reproduced" >&2; exit 2; }}; done
cd {PULSAR_HOME}
exec {pulsar_dir}/bin/pulsar-standalone {PULSAR_HOME}/conf/standalone.conf
"""


def _pulsar_ops() -> list[Op]:
    pulsar_dir = Path(runtime_env()["KFT_PULSAR_DIR"])
    return [
        {"op": "write", "path": f"{PULSAR_HOME}/bin/pulsar", "content": _pulsar_bin(pulsar_dir), "mode": 0o755},
        {"op": "mkdir", "path": f"{PULSAR_HOME}/data"},
    ]


PULSAR = ImageProfile(
    name="federatedai/pulsar",
    user="root",
    cmd=("bin/pulsar", "standalone"),
    workdir=PULSAR_HOME,
    env={"PATH": DEFAULT_PATH, "PULSAR_HOME": PULSAR_HOME},
    ops=_pulsar_ops,
)
