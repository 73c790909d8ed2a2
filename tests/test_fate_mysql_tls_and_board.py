"""Issue 10, what is rendered: fateflow reaches MySQL over verified TLS (no ``cryptography`` needed for
``caching_sha2_password``), and FATE-Board's login password reaches ``conf/application.properties`` from the
Secret only. The real programs on these objects: tests/workload/test_fate_flow_on_the_rendered_config.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from components.fate_cluster import mysql_tls
from components.fate_cluster import render_fateboard as fb
from models.fate import FateSpec
from tests.test_fate_cluster import (
    DEPLOY,
    KNOWN_PASSWORD,
    SECRET,
    SECRET_SIG,
    STS,
    config_file,
    deploy,
    main_container,
    pod,
    unsecret,
)

TLS_TYPES = (
    "tls:index/privateKey:PrivateKey",
    "tls:index/selfSignedCert:SelfSignedCert",
    "tls:index/certRequest:CertRequest",
    "tls:index/locallySignedCert:LocallySignedCert",
)


def test_service_conf_connects_to_mysql_with_verified_tls(harness):
    deploy(harness)
    conf = yaml.safe_load(config_file(harness, "python-config", "service_conf.yaml"))
    # PyMySQL's ``ssl`` option: a CA means CERT_REQUIRED and a host name check against ``host``.
    assert conf["database"]["mysql"]["ssl"] == {"ca": "/data/projects/fate/conf-mysql-tls/ca.pem"}
    assert conf["database"]["mysql"]["host"] == "mysql"


def test_the_party_has_its_own_mysql_ca_and_server_certificate(harness):
    deploy(harness)
    types = [r.typ for r in harness.mocks.registered if r.typ.startswith("tls:index/")]
    assert sorted(types) == sorted([TLS_TYPES[0], TLS_TYPES[0], *TLS_TYPES[1:]])
    ca = harness.mocks.one(TLS_TYPES[1])
    assert ca.inputs["isCaCertificate"] is True
    csr = harness.mocks.one(TLS_TYPES[2])
    assert csr.inputs["dnsNames"] == [
        "mysql",
        "mysql.fate-30000",
        "mysql.fate-30000.svc",
        "mysql.fate-30000.svc.cluster.local",
    ]
    cert = harness.mocks.one(TLS_TYPES[3])
    assert "server_auth" in cert.inputs["allowedUses"]
    secret = harness.mocks.one(SECRET, "mysql-tls")
    raw = secret.inputs["stringData"]
    assert SECRET_SIG in raw, "the server key must be marked secret"
    assert set(unsecret(raw)) == {"ca.pem", "server-cert.pem", "server-key.pem"}


def test_server_names_cover_a_configured_host():
    spec = FateSpec.model_validate({"partyId": 30000, "backend": "spark-pulsar"})
    assert mysql_tls.server_names(spec, "mysql")[1] == []
    assert mysql_tls.server_names(spec, "db.bank-a.local")[0][-1] == "db.bank-a.local"
    assert mysql_tls.server_names(spec, "10.1.2.3")[1] == ["10.1.2.3"]


def test_mysqld_serves_the_certificate_readable_by_group_mysql(harness):
    deploy(harness)
    body = pod(harness, STS, "mysql")
    main = main_container(harness, STS, "mysql")
    assert "command" not in main, "the image's entrypoint must still initialise the datadir"
    assert main["args"] == [
        "--ssl-ca=/etc/mysql/tls/ca.pem",
        "--ssl-cert=/etc/mysql/tls/server-cert.pem",
        "--ssl-key=/etc/mysql/tls/server-key.pem",
    ]
    volume = next(v for v in body["volumes"] if v["name"] == "mysql-tls")
    assert volume["secret"] == {"secretName": "mysql-tls", "defaultMode": 0o440}
    assert body["securityContext"] == {
        "fsGroup": 999,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    mount = next(m for m in main["volumeMounts"] if m["name"] == "mysql-tls")
    assert mount == {"name": "mysql-tls", "mountPath": "/etc/mysql/tls", "readOnly": True}


def test_fateflow_gets_the_ca_only(harness):
    deploy(harness)
    body = pod(harness, STS, "python")
    volume = next(v for v in body["volumes"] if v["name"] == "mysql-tls")
    assert volume["secret"]["items"] == [{"key": "ca.pem", "path": "ca.pem"}]
    mount = next(m for m in main_container(harness, STS, "python")["volumeMounts"] if m["name"] == "mysql-tls")
    assert mount["mountPath"] == "/data/projects/fate/conf-mysql-tls" and mount["readOnly"]
    script = main_container(harness, STS, "python")["command"][-1]
    assert "pip install" not in script and "cryptography" not in script


def test_a_new_certificate_rolls_mysql_and_fateflow(harness):
    from components.fate_cluster.checksum import ANNOTATION

    deploy(harness)
    before = {
        n: harness.mocks.one(STS, n).inputs["spec"]["template"]["metadata"]["annotations"][ANNOTATION]
        for n in ("mysql", "python")
    }
    from tests.conftest import pulumi_settings_reset
    from tests.harness import Harness, new_event_loop

    pulumi_settings_reset()
    new_event_loop()
    other = Harness()
    other.mocks.on_new[TLS_TYPES[3]] = lambda a: {"certPem": "-----RENEWED-----"}
    other.mocks.on_new[TLS_TYPES[1]] = lambda a: {"certPem": "-----NEW CA-----"}
    deploy(other)
    after = {
        n: other.mocks.one(STS, n).inputs["spec"]["template"]["metadata"]["annotations"][ANNOTATION]
        for n in ("mysql", "python")
    }
    assert before["mysql"] != after["mysql"] and before["python"] != after["python"]


# -- FATE-Board ---------------------------------------------------------------------------------------------


def test_fateboard_password_is_written_from_the_secret_into_an_in_memory_copy(harness):
    deploy(harness)
    body = pod(harness, DEPLOY, "fateboard")
    props = config_file(harness, "fateboard-config", "application.properties")
    assert "server.board.login.password" not in props and KNOWN_PASSWORD not in props
    init = body["initContainers"][0]
    assert init["name"] == "fateboard-conf" and init["image"] == main_container(harness, DEPLOY, "fateboard")["image"]
    assert init["env"] == [
        {
            "name": "SERVER_BOARD_LOGIN_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "fate-credentials", "key": "fateboard-password"}},
        }
    ]
    assert init["command"] == fb.conf_command()
    volumes = {v["name"]: v for v in body["volumes"]}
    assert volumes["fateboard-conf"]["emptyDir"]["medium"] == "Memory"
    assert volumes["fateboard-confs"] == {"name": "fateboard-confs", "configMap": {"name": "fateboard-config"}}
    assert {m["name"]: m["mountPath"] for m in init["volumeMounts"]} == {
        "fateboard-confs": "/conf-tmp",
        "fateboard-conf": "/conf",
    }
    main = main_container(harness, DEPLOY, "fateboard")
    assert main["volumeMounts"] == [
        {
            "name": "fateboard-conf",
            "subPath": "application.properties",
            "mountPath": "/data/projects/fate/fateboard/conf/application.properties",
        }
    ]


def _java_properties(text: str) -> dict[str, str]:
    """java.util.Properties.load for the lines this file has (key=value, no continuation or escapes: the
    rendered values and the alphanumeric password have none)."""
    out = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith(("#", "!")):
            key, _, value = line.partition("=")
            out[key.strip()] = value.lstrip()
    return out


def test_the_init_command_appends_the_password_line(tmp_path: Path):
    src, dst = tmp_path / "cm", tmp_path / "conf"
    src.mkdir()
    dst.mkdir()
    spec = FateSpec.model_validate({"partyId": 30000, "backend": "spark-pulsar"})
    (src / "application.properties").write_text(fb.render_application_properties(spec))
    argv = fb.conf_command(str(src), str(dst))
    subprocess.run(argv, check=True, env={"PATH": "/usr/bin:/bin", "SERVER_BOARD_LOGIN_PASSWORD": "Abc123xyz"})
    out = dst / "application.properties"
    props = _java_properties(out.read_text())
    assert props["server.board.login.password"] == "Abc123xyz"
    assert props["server.board.login.username"] == "admin"
    assert out.stat().st_mode & 0o777 == 0o600
    assert not (dst / "application.properties.tmp").exists()
    empty = subprocess.run(argv, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert empty.returncode != 0 and "SERVER_BOARD_LOGIN_PASSWORD is empty" in empty.stderr
