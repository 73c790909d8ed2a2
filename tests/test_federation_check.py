"""``python -m federation check`` against a loopback federation: real sockets, TLS and certificates, no Pulumi.

The exchange is played by tests/sni_passthrough.py (ATS: SNI -> party backend, TLS untouched) and the
stand-ins of tests/tcp_standins.py (Pulsar brokers behind TLS, nginx's HTTP and gRPC ports). The check reads
the same stack outputs the real stacks export, through an injected runner, with sniRoutes rendered by the
exchange's own renderer.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from components.contracts import PulsarEndpoint
from components.exchange.ats_config import sni_yaml
from federation import check, cli, probes
from tests.sni_passthrough import SniPassthrough, client_hello_sni
from tests.tcp_standins import HOST, TcpServer, h2_server, http_server, pulsar_tls_broker, silent_server

DOMAIN = "fate.org"
PARTIES = {30000: "party-30000", 40000: "party-40000"}
HOPS = ["outputs", "route", "dns", "tcp", "tls", "cert", "protocol"]


# --- PKI: a federation CA and party certificates shaped like pulumi-tls's, plus a foreign CA ------------------


@dataclass
class Authority:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(Encoding.PEM).decode()


def _name(cn: str, org: str) -> x509.Name:
    # Go's order (pulumi-tls): O before CN, so RFC 4514 (last RDN first) reads CN=...,O=...
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str, org: str = "kubefate-tanzu federation") -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, org))
        .issuer_name(_name(cn, org))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(cert, key)


def issue(ca: Authority, fqdn: str, directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(fqdn, str(ca.cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value)))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(fqdn)]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    stem = f"{fqdn}-{ca.cert.serial_number}"
    cert_file, key_file = directory / f"{stem}.crt", directory / f"{stem}.key"
    cert_file.write_bytes(cert.public_bytes(Encoding.PEM))
    key_file.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return cert_file, key_file


@dataclass
class Pki:
    ca: Authority
    rogue: Authority
    certs: dict[str, tuple[Path, Path]]  # "30000", "40000", "rogue-40000"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca, rogue = make_ca("FATE federation CA"), make_ca("Rogue CA", org="someone else")
    certs = {str(p): issue(ca, f"{p}.{DOMAIN}", directory) for p in PARTIES}
    certs["rogue-40000"] = issue(rogue, f"40000.{DOMAIN}", directory)
    return Pki(ca, rogue, certs)


# --- the loopback federation and the runner that reports its outputs ------------------------------------------


@dataclass
class LoopbackFederation:
    pki: Pki
    brokers: dict[int, TcpServer] = field(default_factory=dict)
    servers: list[TcpServer] = field(default_factory=list)
    ats: SniPassthrough | None = None
    nginx_http: TcpServer | None = None
    nginx_grpc: TcpServer | None = None
    outputs: dict[str, dict | None] = field(default_factory=dict)

    def start(self) -> LoopbackFederation:
        for pid in PARTIES:
            self.brokers[pid] = self.serve(pulsar_tls_broker(*self.pki.certs[str(pid)]))
        self.ats = self.serve(SniPassthrough({f"{pid}.{DOMAIN}": (HOST, b.port) for pid, b in self.brokers.items()}))
        self.nginx_http, self.nginx_grpc = self.serve(http_server()), self.serve(h2_server())
        pulsar: dict[int, PulsarEndpoint | None] = {
            pid: {"host": HOST, "sslPort": b.port} for pid, b in self.brokers.items()
        }
        self.outputs["exchange"] = {
            "exchangeEndpoint": {
                "host": "localhost",
                "nginxHttpPort": self.nginx_http.port,
                "nginxGrpcPort": self.nginx_grpc.port,
                "atsHost": HOST,
                "atsPort": self.ats.port,
                "domain": DOMAIN,
            },
            "caCert": self.pki.ca.pem,
            "federatedParties": sorted(PARTIES),
            "pendingParties": [],
            "sniRoutes": sni_yaml(DOMAIN, pulsar),
        }
        for pid, stack in PARTIES.items():
            self.outputs[stack] = {
                "partyId": pid,
                "pulsarEndpoint": pulsar[pid],
                "fateNamespace": f"fate-{pid}",
                "nginxEndpoint": {"host": HOST, "httpPort": 9300, "grpcPort": 9310},
            }
        return self

    def serve(self, server):
        self.servers.append(server)
        return server

    def replace_broker(self, pid: int, server: TcpServer) -> None:
        """Another server behind the same tunnel (the route stays, what answers changes)."""
        self.brokers[pid].stop()
        self.brokers[pid] = self.serve(server)
        self.ats.routes[f"{pid}.{DOMAIN}"] = (HOST, server.port)
        self.outputs[PARTIES[pid]]["pulsarEndpoint"]["sslPort"] = server.port
        self.outputs["exchange"]["sniRoutes"] = sni_yaml(
            DOMAIN, {p: self.outputs[s]["pulsarEndpoint"] for p, s in PARTIES.items()}
        )

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


class OutputsOnly:
    """The StackRunner as check uses it: outputs only; anything else would change stacks and must not happen."""

    def __init__(self, outputs: dict[str, dict | None], fail: dict[str, Exception] | None = None):
        self._outputs, self._fail, self.read = outputs, fail or {}, []

    def outputs(self, stack: str):
        self.read.append(stack)
        if stack in self._fail:
            raise self._fail[stack]
        return self._outputs.get(stack)

    def ensure(self, stack):
        raise AssertionError(f"check must not create {stack}")

    up = preview = destroy = snapshot = ensure


@pytest.fixture
def fed(pki):
    loopback = LoopbackFederation(pki).start()
    yield loopback
    loopback.stop()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only")
    exchange = {
        "kubefate-tanzu:role": "exchange",
        "kubefate-tanzu:exchange": {"parties": [{"partyId": pid, "stack": stack} for pid, stack in PARTIES.items()]},
    }
    (tmp_path / "Pulumi.exchange.yaml").write_text(yaml.safe_dump({"config": exchange}))
    for stack in PARTIES.values():
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": {"kubefate-tanzu:role": "party"}}))
    return tmp_path


def run(repo: Path, outputs, *argv: str, fail=None) -> tuple[int, str, OutputsOnly]:
    runner = OutputsOnly(outputs, fail)
    lines: list[str] = []
    code = cli.main(["check", *argv, "--config-dir", str(repo)], make_runner=lambda _a, _e: runner, out=lines.append)
    return code, "\n".join(lines), runner


def run_json(repo: Path, outputs, *argv: str, fail=None) -> tuple[int, dict]:
    code, text, _ = run(repo, outputs, "--json", *argv, fail=fail)
    return code, json.loads(text)


def statuses(doc: dict) -> dict[str, list[str]]:
    return {row["name"]: [h["status"] for h in row["hops"]] for row in doc["rows"]}


def hop(doc: dict, row: str, name: str) -> dict:
    found = next(r for r in doc["rows"] if r["name"] == row)
    return next(h for h in found["hops"] if h["hop"] == name)


# --- the whole path --------------------------------------------------------------------------------------------


def test_every_hop_passes_on_a_working_federation(repo, fed):
    code, text, runner = run(repo, fed.outputs)
    assert code == 0, text
    assert sorted(runner.read) == ["exchange", "party-30000", "party-40000"]
    lines = text.splitlines()
    assert lines[1].split() == ["row", *HOPS]
    assert lines[2].split() == ["exchange-nginx-http", "ok", "n/a", "ok", "ok", "n/a", "n/a", "ok"]
    assert lines[3].split() == ["exchange-nginx-grpc", "ok", "n/a", "ok", "ok", "n/a", "n/a", "ok"]
    assert lines[4].split() == ["party", "30000", *["ok"] * 7]
    assert lines[5].split() == ["party", "40000", *["ok"] * 7]
    assert text.endswith("all 4 rows passed")
    # every party's tunnel was opened with its own SNI (tls, then protocol)
    assert fed.ats.seen.count("30000.fate.org") == 2 and fed.ats.seen.count("40000.fate.org") == 2


def test_json_reports_what_each_hop_saw(repo, fed):
    code, doc = run_json(repo, fed.outputs)
    assert code == 0 and doc["ok"] is True
    assert [r["name"] for r in doc["rows"]] == [
        "exchange-nginx-http",
        "exchange-nginx-grpc",
        "party 30000",
        "party 40000",
    ]
    assert [r["party"] for r in doc["rows"]] == [None, None, 30000, 40000]
    assert set(doc["rows"][2]["hops"][0]) == {"hop", "status", "target", "detail", "fix"}
    dns = hop(doc, "exchange-nginx-http", "dns")["detail"]
    assert dns.startswith("localhost -> ") and "127.0.0.1" in dns  # a looked-up name (::1 too on some hosts)
    assert hop(doc, "exchange-nginx-http", "protocol")["detail"] == "HTTP/1.1 404 Not Found"
    assert hop(doc, "exchange-nginx-grpc", "protocol")["detail"] == "HTTP/2 SETTINGS frame (1 settings)"
    assert hop(doc, "party 30000", "dns")["detail"] == "127.0.0.1 is an IP address (no lookup)"
    assert hop(doc, "party 30000", "tls")["target"] == f"127.0.0.1:{fed.ats.port} with SNI 30000.fate.org"
    assert "subject CN=30000.fate.org" in hop(doc, "party 30000", "cert")["detail"]
    assert hop(doc, "party 40000", "protocol")["detail"].startswith("CONNECTED from Pulsar-Broker-stand-in")
    assert hop(doc, "party 40000", "route")["detail"] == f"40000.fate.org -> 127.0.0.1:{fed.brokers[40000].port}"


# --- one broken hop at a time ----------------------------------------------------------------------------------


def test_a_stopped_party_backend_fails_its_tunnel_and_only_that_party(repo, fed):
    fed.brokers[40000].stop()
    code, text, _ = run(repo, fed.outputs)
    assert code == 1
    # ATS accepts the TCP connection, then cannot open the tunnel and closes it: the TLS hop is what breaks
    row = next(line for line in text.splitlines() if line.startswith("party 40000"))
    assert row.split()[2:] == ["ok", "ok", "ok", "ok", "FAIL", "skipped", "skipped"]
    failures = [line for line in text.splitlines() if ", hop " in line]
    assert len(failures) == 1
    port = fed.outputs["party-40000"]["pulsarEndpoint"]["sslPort"]
    assert failures[0].startswith(
        f"party 40000, hop tls: 127.0.0.1:{fed.ats.port} with SNI 40000.fate.org: "
        "connection closed by the peer during the TLS handshake. Fix: "
    )
    assert f"sni.yaml has 40000.fate.org -> 127.0.0.1:{port}" in failures[0]
    assert f"port {port} is in proxy.config.http.connect_ports" in failures[0]
    assert text.endswith("1 of 4 rows failed")


def test_a_certificate_from_another_ca_fails_at_cert_naming_subject_and_issuer(repo, fed, pki):
    fed.replace_broker(40000, pulsar_tls_broker(*pki.certs["rogue-40000"]))
    code, doc = run_json(repo, fed.outputs)
    assert code == 1 and doc["ok"] is False
    assert statuses(doc)["party 40000"] == ["ok", "ok", "ok", "ok", "ok", "fail", "skipped"]
    assert statuses(doc)["party 30000"] == ["ok"] * 7
    cert = hop(doc, "party 40000", "cert")
    assert "presented subject CN=40000.fate.org,O=someone else, issuer CN=Rogue CA,O=someone else" in cert["detail"]
    assert "not issued by the federation CA CN=FATE federation CA,O=kubefate-tanzu federation" in cert["detail"]
    assert "pulsarCert40000" in cert["fix"]


def test_another_partys_certificate_fails_at_cert_naming_the_missing_name(repo, fed, pki):
    fed.replace_broker(40000, pulsar_tls_broker(*pki.certs["30000"]))
    code, doc = run_json(repo, fed.outputs)
    assert code == 1
    detail = hop(doc, "party 40000", "cert")["detail"]
    assert "presented subject CN=30000.fate.org" in detail
    assert "does not name 40000.fate.org (SAN: 30000.fate.org)" in detail


def test_a_wrong_sni_route_fails_at_route_before_any_probe(repo, fed):
    wrong: dict[int, Any] = {
        30000: fed.outputs["party-30000"]["pulsarEndpoint"],
        40000: {"host": "10.9.9.9", "sslPort": 6651},
    }
    fed.outputs["exchange"]["sniRoutes"] = sni_yaml(DOMAIN, wrong)
    seen_before = len(fed.ats.seen)
    code, text, _ = run(repo, fed.outputs)
    assert code == 1
    row = next(line for line in text.splitlines() if line.startswith("party 40000"))
    assert row.split()[2:] == ["ok", "FAIL", "skipped", "skipped", "skipped", "skipped", "skipped"]
    line = next(line for line in text.splitlines() if line.startswith("party 40000, hop route"))
    port = fed.brokers[40000].port
    assert f"sniRoutes sends 40000.fate.org to 10.9.9.9:6651, but the party's Pulsar is 127.0.0.1:{port}" in line
    assert "Fix: run `python -m federation up`" in line
    assert fed.ats.seen[seen_before:].count("40000.fate.org") == 0  # skipped hops are not probed


def test_a_party_missing_from_sni_routes_fails_at_route(repo, fed):
    fed.outputs["exchange"]["sniRoutes"] = sni_yaml(DOMAIN, {30000: fed.outputs["party-30000"]["pulsarEndpoint"]})
    fed.outputs["exchange"]["pendingParties"] = [40000]
    code, doc = run_json(repo, fed.outputs)
    assert code == 1
    route = hop(doc, "party 40000", "route")
    assert route["status"] == "fail"
    assert (
        "40000.fate.org is missing from the exchange's sniRoutes (the exchange lists it in pendingParties)"
        in (route["detail"])
    )
    assert statuses(doc)["party 30000"] == ["ok"] * 7


def test_the_timeout_bounds_a_hop_that_never_answers(repo, fed):
    silent = fed.serve(silent_server())
    fed.outputs["exchange"]["exchangeEndpoint"]["nginxGrpcPort"] = silent.port
    code, doc = run_json(repo, fed.outputs, "--timeout", "0.3")
    assert code == 1
    assert statuses(doc)["exchange-nginx-grpc"] == ["ok", "n/a", "ok", "ok", "n/a", "n/a", "fail"]
    assert hop(doc, "exchange-nginx-grpc", "protocol")["detail"] == "no answer within 0.3 s"
    assert statuses(doc)["exchange-nginx-http"] == ["ok", "n/a", "ok", "ok", "n/a", "n/a", "ok"]


def test_an_http_server_on_the_grpc_port_is_named(repo, fed):
    fed.outputs["exchange"]["exchangeEndpoint"]["nginxGrpcPort"] = fed.serve(http_server(b"HTTP/1.1 400 Bad")).port
    _, doc = run_json(repo, fed.outputs)
    protocol = hop(doc, "exchange-nginx-grpc", "protocol")
    assert protocol["status"] == "fail" and "not HTTP/2" in protocol["detail"]


def test_a_refused_nginx_port_fails_at_tcp(repo, fed):
    fed.nginx_http.stop()
    code, text, _ = run(repo, fed.outputs)
    assert code == 1
    port = fed.nginx_http.port
    assert f"exchange-nginx-http, hop tcp: localhost:{port}: connection refused. Fix: " in text


def test_a_tunnel_to_something_that_is_not_pulsar_fails_at_protocol(repo, fed, pki):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*map(str, pki.certs["40000"]))

    def https_answer(conn):
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.recv(4096)
            tls.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    fed.replace_broker(40000, TcpServer(https_answer))
    _, doc = run_json(repo, fed.outputs)
    protocol = hop(doc, "party 40000", "protocol")
    assert statuses(doc)["party 40000"][:6] == ["ok"] * 6
    assert protocol["status"] == "fail" and "does not speak Pulsar: not a Pulsar frame" in protocol["detail"]


# --- outputs that are not there --------------------------------------------------------------------------------


def test_an_undeployed_exchange_fails_every_row_at_outputs(repo):
    outputs = {"exchange": None, "party-30000": None, "party-40000": None}
    code, doc = run_json(repo, outputs)
    assert code == 1 and doc["ok"] is False
    for row in doc["rows"]:
        assert row["hops"][0]["status"] == "fail"
        assert all(h["status"] in ("skipped", "n/a") for h in row["hops"][1:])
    assert "stack exchange has no outputs (not deployed)" in hop(doc, "party-30000", "outputs")["detail"]
    assert hop(doc, "exchange-nginx-http", "outputs")["fix"] == "run `python -m federation up`"


def test_a_party_without_endpoints_fails_at_outputs_and_the_rest_is_probed(repo, fed):
    fed.outputs["party-40000"] = {"partyId": 40000, "pulsarEndpoint": None, "fateNamespace": "fate-40000"}
    code, doc = run_json(repo, fed.outputs)
    assert code == 1
    outputs = hop(doc, "party 40000", "outputs")
    assert outputs["status"] == "fail" and "exports no usable pulsarEndpoint" in outputs["detail"]
    assert "Service pulsar-public-tls in namespace fate-40000" in outputs["fix"]
    assert statuses(doc)["party 30000"] == ["ok"] * 7


def test_a_null_exchange_endpoint_and_an_unreadable_stack_are_reported(repo, fed):
    fed.outputs["exchange"]["exchangeEndpoint"] = None
    code, doc = run_json(repo, fed.outputs, fail={"party-30000": RuntimeError("passphrase is incorrect")})
    assert code == 1
    assert "exports no exchangeEndpoint" in hop(doc, "exchange-nginx-grpc", "outputs")["detail"]
    # an exchange problem fails every row at outputs; the unreadable party still has its row, named by its stack
    assert [r["name"] for r in doc["rows"]][2:] == ["party-30000", "party 40000"]
    fed.outputs["exchange"]["exchangeEndpoint"] = {
        "host": HOST,
        "nginxHttpPort": fed.nginx_http.port,
        "nginxGrpcPort": fed.nginx_grpc.port,
        "atsHost": HOST,
        "atsPort": fed.ats.port,
        "domain": DOMAIN,
    }
    _, doc = run_json(repo, fed.outputs, fail={"party-30000": RuntimeError("passphrase is incorrect")})
    assert (
        "reading the outputs of party-30000 failed: passphrase is incorrect"
        in (hop(doc, "party-30000", "outputs")["detail"])
    )
    assert statuses(doc)["party 40000"] == ["ok"] * 7


def test_missing_ca_cert_is_an_outputs_failure_of_the_party_rows(repo, fed):
    del fed.outputs["exchange"]["caCert"]
    _, doc = run_json(repo, fed.outputs)
    assert hop(doc, "party 30000", "outputs")["detail"] == "exchange exports no caCert"
    assert statuses(doc)["exchange-nginx-http"][0] == "ok"


# --- command line ----------------------------------------------------------------------------------------------


def test_plan_errors_are_exit_code_two_and_still_json(repo):
    code, text, _ = run(repo, {}, "--variant", "local")
    assert code == 2 and "Pulumi.local-exchange.yaml" in text
    code, doc = run_json(repo, {}, "--variant", "local")
    assert code == 2 and doc["ok"] is False and "Pulumi.local-exchange.yaml" in doc["error"]


def test_the_variant_selects_the_local_exchange_and_its_parties(repo, fed):
    local = {
        "kubefate-tanzu:role": "exchange",
        "kubefate-tanzu:exchange": {"parties": [{"partyId": 30000, "stack": "local-party-30000"}]},
    }
    (repo / "Pulumi.local-exchange.yaml").write_text(yaml.safe_dump({"config": local}))
    (repo / "Pulumi.local-party-30000.yaml").write_text("config: {}\n")
    outputs = {"local-exchange": fed.outputs["exchange"], "local-party-30000": fed.outputs["party-30000"]}
    code, doc = run_json(repo, outputs, "--variant", "local")
    assert code == 0 and [r["name"] for r in doc["rows"]] == [
        "exchange-nginx-http",
        "exchange-nginx-grpc",
        "party 30000",
    ]


def test_timeout_must_be_positive(repo):
    with pytest.raises(SystemExit) as exc:
        cli.parse_args(["check", "--timeout", "0"])
    assert exc.value.code == 2
    assert cli.parse_args(["check"]).timeout == 5.0


# --- pure parts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, routes, problem",
    [
        (
            "sni:\n- {fqdn: 1.fate.org, tunnel_route: '10.0.0.1:6651'}\n",
            [{"fqdn": "1.fate.org", "tunnel_route": "10.0.0.1:6651"}],
            None,
        ),
        ([{"fqdn": "1.fate.org", "tunnel_route": "h:1"}], [{"fqdn": "1.fate.org", "tunnel_route": "h:1"}], None),
        ("sni: []\n", [], None),
        (None, None, "the exchange exports no sniRoutes"),
        ("sni: 3\n", None, "not a list"),
    ],
)
def test_parse_sni_routes(value, routes, problem):
    got, why = check.parse_sni_routes(value)
    assert got == routes
    assert (why is None) if problem is None else (problem in why)


def test_route_result_uses_the_exchanges_own_rendering_of_ipv6_hosts():
    ex = check.exchange_view(
        "exchange",
        {
            "exchangeEndpoint": {
                "host": "h",
                "nginxHttpPort": 1,
                "nginxGrpcPort": 2,
                "atsHost": "a",
                "atsPort": 443.0,
                "domain": DOMAIN,
            },
            "caCert": "x",
            "sniRoutes": "sni:\n- {fqdn: 5.fate.org, tunnel_route: '[fd00::5]:6651'}\n",
        },
    )
    assert ex.problem is None and ex.ats_port == 443
    party = check.party_view("p", {"partyId": 5, "pulsarEndpoint": {"host": "fd00::5", "sslPort": 6651}})
    assert check.route_result(ex, party).ok
    moved = check.party_view("p", {"partyId": 5, "pulsarEndpoint": {"host": "fd00::6", "sslPort": 6651}})
    assert not check.route_result(ex, moved).ok


def test_a_row_stops_at_its_first_failure():
    results = iter([probes.ProbeResult(True, "a"), probes.ProbeResult(True, "b"), probes.ProbeResult(False, "c")])
    calls = []

    def probe(_r):
        calls.append(1)
        return next(results)

    steps = [check.Step(h, h, probe, lambda r: f"fix {r.detail}") for h in ("outputs", "dns", "tcp", "protocol")]
    row = check.run_steps("r", None, "s", steps)
    assert [h.status for h in row.hops] == ["ok", "n/a", "ok", "fail", "n/a", "n/a", "skipped"]
    assert len(calls) == 3 and row.failure.fix == "fix c" and not row.ok
    assert check.failure_line(row) == "r, hop tcp: tcp: c. Fix: fix c"


def test_verify_chain_reports_an_expired_certificate(pki):
    cert = x509.load_pem_x509_certificate(pki.certs["30000"][0].read_bytes())
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
    result = probes.verify_chain([cert.public_bytes(Encoding.DER)], pki.ca.pem, "30000.fate.org", now=later)
    assert not result.ok and "expired" in result.detail
    assert probes.verify_chain([cert.public_bytes(Encoding.DER)], pki.ca.pem, "30000.fate.org").ok
    assert not probes.verify_chain([b"junk"], pki.ca.pem, "30000.fate.org").ok
    assert "not a PEM certificate" in probes.verify_chain([b"x"], "nope", "30000.fate.org").detail


def test_the_stand_in_ats_reads_the_sni_a_python_client_sends():
    """Guards the ATS stand-in itself: the SNI it routes by is the one the client's ClientHello carries."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = ctx.wrap_bio(incoming, outgoing, server_hostname="30000.fate.org")
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    assert client_hello_sni(outgoing.read()) == "30000.fate.org"
    assert client_hello_sni(b"\x17\x03\x03\x00\x00") is None
    assert client_hello_sni(b"GET / HTTP/1.1\r\n") is None
