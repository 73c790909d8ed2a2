"""The fateflow container's command (components/fate_cluster/modules_core.py ``_fateflow_command``), run for real
by bash and python on a copy of the rendered service_conf.yaml laid out as in the pod, with passwords a ``sed``
substitution would break on. tests/workload/test_fate_toy_across_the_exchange.py proves that fate_flow 2.0.0 reads
the result (it logs in to MySQL with the Secret's value)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from components.fate_cluster import modules_core
from components.fate_cluster.render_fateflow import MYSQL_PASSWORD_PLACEHOLDER, render_service_conf
from models.fate import FateSpec

FATE_HOME = "/data/projects/fate"
PASSWORDS = [
    "plain-Passw0rd",
    "a/b&c\\d",
    'it\'s "quoted": # not a comment',
    "new\nline\ttab",
    "unicode é 😀 \x7f",
    "&&//\\\\&",
]


def spec(backend: str = "spark-pulsar") -> FateSpec:
    return FateSpec.model_validate(
        {"partyId": 30000, "backend": backend, "fateVersion": "2.0.0"}, context={"prefix": "fate"}
    )


def run_command(tmp_path: Path, password: str, conf: str, backend: str = "spark-pulsar") -> Path:
    """The pod's script with its absolute paths moved under ``tmp_path`` and the final exec replaced; the
    password only in the environment, as the Secret's env var gives it."""
    root = tmp_path / "root"
    home = root / FATE_HOME.lstrip("/")
    (home / "conf-tmp").mkdir(parents=True)
    (home / "conf-tmp" / "service_conf.yaml").write_text(conf)
    (home / "conf-tmp" / "spark-defaults.conf").write_text("spark.master local\n")
    (home / "fate_flow" / "conf" / "pulsar_route_table").mkdir(parents=True)
    (home / "fate_flow" / "conf" / "pulsar_route_table" / "pulsar_route_table.yaml").write_text("30000: {}\n")
    (root / "data/projects/spark-3.1.3-bin-hadoop3.2/conf").mkdir(parents=True)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "python").symlink_to(shutil.which("python3") or "/usr/bin/python3")
    script = modules_core._fateflow_command(spec(backend))[2]
    script = script.replace("/data/projects", f"{root}/data/projects")
    script = script.replace("exec python fate_flow/python/fate_flow/fate_flow_server.py", "true")
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "POD_IP": "10.244.1.7", "MYSQL_PASSWORD": password}
    proc = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert password not in script
    return home / "fate_flow" / "conf"


@pytest.mark.parametrize("password", PASSWORDS)
def test_the_password_reaches_service_conf_exactly(tmp_path: Path, password: str) -> None:
    conf_dir = run_command(tmp_path, password, render_service_conf(spec()))
    conf = yaml.safe_load((conf_dir / "service_conf.yaml").read_text())
    assert conf["database"]["mysql"]["passwd"] == password
    assert conf["fateflow"]["host"] == "10.244.1.7"
    # Nothing else of the rendered file changed.
    rendered = yaml.safe_load(render_service_conf(spec()))
    rendered["database"]["mysql"]["passwd"], rendered["fateflow"]["host"] = password, "10.244.1.7"
    assert conf == rendered


def test_a_conf_without_the_placeholder_stops_the_container(tmp_path: Path) -> None:
    conf = render_service_conf(spec()).replace(MYSQL_PASSWORD_PLACEHOLDER, "something-else")
    with pytest.raises(AssertionError, match="no 'passwd: __FATE_MYSQL_PASSWORD__' to fill in"):
        run_command(tmp_path, "pw", conf)


def test_the_route_table_goes_where_fate_flow_2_reads_it(tmp_path: Path) -> None:
    conf_dir = run_command(tmp_path, "pw", render_service_conf(spec()))
    assert (conf_dir / "pulsar_route_table.yaml").read_text() == "30000: {}\n"


def test_no_patch_of_pyfate_is_attempted() -> None:
    """pyfate 2.0.0 has no fate/arch/federation/pulsar/ and needs no patch (integer route keys)."""
    script = modules_core._fateflow_command(spec())[2]
    assert "sed -i 's/int(party.party_id)" not in script and "_federation.py" not in script
    assert "|| true" not in script
    assert " /data/projects/fate/fate_flow/conf/pulsar_route_table.yaml\n" in script
